/**
 * A started Portico (the production build: `npm run build` first) sending a
 * password-reset email, over HTTP, to a real SMTP server that asks for a
 * password: what the server receives (the login from SMTP_URL, the envelope,
 * the raw message's headers and parts) and the link, opened over HTTP. And
 * a MAIL_FROM the mail headers would read as two addresses: refused at start.
 */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { after, before, describe, test } from "node:test";
import { SMTPServer } from "smtp-server";
import { createDatabase, type Database } from "@/db/client.ts";
import { loadAppConfig } from "@/lib/config/env.ts";
import { createMailer } from "@/lib/mail/transport.ts";
import { UserStore } from "@/lib/users/store.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

interface Received {
  login: { username: string; password: string } | undefined;
  mailFrom: string;
  rcptTo: string[];
  raw: string;
  /** The name the client greeted the server with (EHLO/HELO). */
  greeting: string;
}

/**
 * Sends one short message with the mail settings of `config` (as the app's mailer is made: From,
 * EHLO name) and answers what the server received of it; fails with the mailer's log if it failed.
 */
async function sendHello(config: ReturnType<typeof loadAppConfig>, received: Received[]): Promise<Received> {
  const lines: string[] = [];
  const write = (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  const { smtpUrl, from, ehloName } = config.mail;
  const mailer = createMailer({
    smtpUrl,
    from,
    ehloName,
    log: { error: write, warn: write, info: write, debug: write },
  });
  const before = received.length;
  const result = await mailer.send("someone@example.com", {
    subject: "Hello",
    text: "text",
    html: "<p>html</p>",
    links: [],
  });
  assert.deepEqual(result, { sent: true }, lines.join("\n"));
  const message = received[before];
  assert.ok(message, "the server received the message");
  return message;
}

/** A mail server that wants a password and keeps each message as it came, raw. */
async function rawMailServer(): Promise<{ port: number; received: Received[]; stop(): Promise<void> }> {
  const received: Received[] = [];
  const logins = new Map<string, { username: string; password: string }>();
  const server = new SMTPServer({
    logger: false,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    onAuth(auth, session, callback) {
      logins.set(session.id, { username: auth.username ?? "", password: auth.password ?? "" });
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          login: logins.get(session.id),
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          greeting: session.hostNameAppearsAs,
        });
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve) => {
    const listening = server.listen(0, "127.0.0.1", () => {
      const address = listening.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  return { port, received, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The header block of a raw message (folded lines unfolded), by lower-cased name. */
function headersOf(raw: string): Map<string, string> {
  const head = raw.slice(0, raw.search(/\r?\n\r?\n/));
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Quoted-printable, undone. */
function unQuote(value: string): string {
  return Buffer.from(
    value
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");
}

function decodeEntities(value: string): string {
  return value
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/** nodemailer's own EHLO name: the machine's hostname if it has a dot, else `[127.0.0.1]`. */
const NODEMAILER_DEFAULT_NAME = hostname().includes(".") ? hostname() : "[127.0.0.1]";

for (const backend of BACKENDS) {
  describe(`a reset email as the mail server receives it, over HTTP and SMTP (${backend})`, () => {
    let mail: Awaited<ReturnType<typeof rawMailServer>>;
    let portico: Portico;
    let db: Database;

    before(async () => {
      mail = await rawMailServer();
      portico = await startPortico({
        backend,
        compiled: true,
        // User "relay:eu@example.com", password "p@ss:w%rd", percent-encoded as the README says.
        env: { SMTP_URL: `smtp://relay%3Aeu%40example.com:p%40ss%3Aw%25rd@127.0.0.1:${mail.port}` },
      });
      db = createDatabase(portico.databaseUrl);
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
      await mail?.stop();
    });

    test("the login from SMTP_URL, each part decoded; From, Date, Message-ID and both parts; the link opens the reset page", async () => {
      const email = `reset-${process.pid}@example.com`;
      await new UserStore(db).create({ email, password: "an old long passphrase", name: "Zoë" });
      const browser = new PageClient(portico.url, portico.url);
      const forgot = await browser.get("/forgot-password");
      const asked = await browser.submit(
        "/forgot-password",
        forgot.body,
        { email },
        ">Send reset link</button>",
      );
      assert.equal(asked.status, 303, asked.body);
      const deadline = Date.now() + 10_000;
      while (mail.received.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const [message] = mail.received;
      assert.ok(message, `the reset email arrived:\n${portico.output().slice(-2000)}`);

      assert.deepEqual(message.login, { username: "relay:eu@example.com", password: "p@ss:w%rd" });
      // ISSUER's host is an IP address: the EHLO name stays nodemailer's.
      assert.equal(message.greeting, NODEMAILER_DEFAULT_NAME);
      // The envelope and From: MAIL_FROM's default, from ISSUER's host — an IP address, so an
      // address literal in brackets (RFC 5321 4.1.3): `no-reply@127.0.0.1` is no address.
      const host = new URL(portico.url).hostname;
      assert.equal(host, "127.0.0.1");
      assert.equal(message.mailFrom, `no-reply@[${host}]`);
      assert.deepEqual(message.rcptTo, [email]);
      const headers = headersOf(message.raw);
      assert.equal(headers.get("from"), `Portico <no-reply@[${host}]>`);
      // RFC 3834: an automatic message, which vacation responders and mailing lists leave unanswered.
      assert.equal(headers.get("auto-submitted"), "auto-generated");
      assert.equal(headers.get("to"), email);
      assert.equal(headers.get("subject"), "Reset your Portico password");
      assert.ok(!Number.isNaN(Date.parse(headers.get("date") ?? "")), `Date: ${headers.get("date")}`);
      assert.match(headers.get("message-id") ?? "", /^<[^@<>\s]+@[^@<>\s]+>$/);
      assert.equal(headers.get("mime-version"), "1.0");
      assert.match(headers.get("content-type") ?? "", /^multipart\/alternative;/);
      assert.match(message.raw, /Content-Type: text\/plain; charset=utf-8/);
      assert.match(message.raw, /Content-Type: text\/html; charset=utf-8/);

      const text = unQuote(message.raw);
      const links = [...text.matchAll(/https?:\/\/[^\s"<>]+/g)].map(([link]) => decodeEntities(link));
      assert.ok(links.length > 0, text);
      for (const link of links) assert.ok(link.startsWith(`${portico.url}/reset-password?token=`), link);
      const page = await fetch(links[0] as string);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /new password/i);
    });
  });
}

for (const backend of BACKENDS) {
  describe(`the EHLO name of a started Portico whose ISSUER is a DNS name (${backend})`, () => {
    const ISSUER = "http://login.portico.test";
    let mail: Awaited<ReturnType<typeof rawMailServer>>;
    let portico: Portico;
    let db: Database;

    before(async () => {
      mail = await rawMailServer();
      portico = await startPortico({
        backend,
        compiled: true,
        env: { ISSUER, SMTP_URL: `smtp://sender:a-password@127.0.0.1:${mail.port}` },
      });
      db = createDatabase(portico.databaseUrl);
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
      await mail?.stop();
    });

    test("a reset email: the server is greeted as ISSUER's host, not the machine's name or [127.0.0.1]", async () => {
      const email = `ehlo-${process.pid}@example.com`;
      await new UserStore(db).create({ email, password: "an old long passphrase" });
      // A browser at ISSUER's pages (its Origin is ISSUER's), reaching the server directly.
      const browser = new PageClient(portico.url, ISSUER);
      const forgot = await browser.get("/forgot-password");
      const asked = await browser.submit(
        "/forgot-password",
        forgot.body,
        { email },
        ">Send reset link</button>",
      );
      assert.equal(asked.status, 303, asked.body);
      const deadline = Date.now() + 30_000;
      while (mail.received.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const [message] = mail.received;
      assert.ok(message, `the reset email arrived:\n${portico.output().slice(-2000)}`);
      assert.equal(message.greeting, "login.portico.test");
      assert.deepEqual(message.rcptTo, [email]);
    });
  });
}

describe("the EHLO name, from ISSUER and SMTP_URL, as the mail server receives it", () => {
  let mail: Awaited<ReturnType<typeof rawMailServer>>;
  before(async () => {
    mail = await rawMailServer();
  });
  after(async () => {
    await mail?.stop();
  });

  for (const [issuer, query, expected] of [
    ["https://auth.example.com", "", "auth.example.com"],
    ["https://Auth.Example.com", "", "auth.example.com"],
    ["https://auth.example.com", "?name=mx-out.example.net", "mx-out.example.net"],
    ["http://127.0.0.1:4444", "?name=mx-out.example.net", "mx-out.example.net"],
    ["http://127.0.0.1:4444", "", NODEMAILER_DEFAULT_NAME],
    ["http://[::1]:4444", "", NODEMAILER_DEFAULT_NAME],
    ["http://localhost:3000", "", NODEMAILER_DEFAULT_NAME],
    ["http://portico.localhost:3000", "", NODEMAILER_DEFAULT_NAME],
    ["http://portico:3000", "", NODEMAILER_DEFAULT_NAME],
  ] as const) {
    test(`ISSUER ${issuer}${query ? `, SMTP_URL ${query}` : ""}: EHLO ${expected}`, async () => {
      const config = loadAppConfig({
        SYSTEM_SECRET: "test-system-secret-0123456789",
        ISSUER: issuer,
        SMTP_URL: `smtp://sender:a-password@127.0.0.1:${mail.port}${query}`,
      });
      const message = await sendHello(config, mail.received);
      assert.equal(message.greeting, expected);
    });
  }
});

describe("MAIL_FROM's default for an ISSUER whose host is an IP address (or ends in a dot), sent over SMTP", () => {
  let mail: Awaited<ReturnType<typeof rawMailServer>>;
  before(async () => {
    mail = await rawMailServer();
  });
  after(async () => {
    await mail?.stop();
  });

  for (const [issuer, domain] of [
    ["http://127.0.0.1:4444", "[127.0.0.1]"],
    ["http://[::1]:4444", "[IPv6:::1]"],
    ["https://[2001:db8::1]", "[IPv6:2001:db8::1]"],
    ["https://auth.example.com", "auth.example.com"],
    ["https://auth.example.com.", "auth.example.com"],
  ] as const) {
    test(`${issuer}: no-reply@${domain}, accepted by nodemailer and the server, with Auto-Submitted`, async () => {
      const config = loadAppConfig({
        SYSTEM_SECRET: "test-system-secret-0123456789",
        ISSUER: issuer,
        SMTP_URL: `smtp://sender:a-password@127.0.0.1:${mail.port}`,
      });
      assert.equal(config.mail.from, `"Portico" <no-reply@${domain}>`);
      const message = await sendHello(config, mail.received);
      assert.equal(message.mailFrom.toLowerCase(), `no-reply@${domain}`.toLowerCase());
      const headers = headersOf(message.raw);
      // nodemailer writes the domain in lower case (`[ipv6:…]`): the tag is case-insensitive.
      assert.equal(headers.get("from")?.toLowerCase(), `Portico <no-reply@${domain}>`.toLowerCase());
      assert.equal(headers.get("auto-submitted"), "auto-generated");
    });
  }
});

describe("a MAIL_FROM whose name has a comma, unquoted", () => {
  test("the process refuses to start and says how to write it (it sent From: Inc.)", async () => {
    await assert.rejects(
      startPortico({ compiled: true, env: { MAIL_FROM: "Acme, Inc. <no-reply@example.com>" } }),
      /MAIL_FROM must be one address, optionally with a name/,
    );
  });
});

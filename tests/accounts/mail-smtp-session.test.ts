/**
 * The SMTP session itself, against real `smtp-server`s that ask for a
 * password: how SMTP_URL's credentials reach the server, and whether the
 * password (and the message, reset links and all) may cross the network in
 * the clear. "Off this machine" is a server on this machine's own
 * non-loopback address: the mailer cannot tell it from a remote one.
 */
import assert from "node:assert/strict";
import { networkInterfaces } from "node:os";
import { after, describe, test } from "node:test";
import { SMTPServer } from "smtp-server";
import type { Logger } from "@/common/log.ts";
import { resetPasswordMessage } from "@/lib/mail/messages.ts";
import { createMailer } from "@/lib/mail/transport.ts";

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

const FROM = "Portico <no-reply@example.test>";
const message = resetPasswordMessage({ link: "https://login.example.test/reset-password?token=secret" });

/** This machine's first IPv4 address that is not loopback: what a mail server elsewhere looks like. */
const offMachine = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && !address.internal && address.family === "IPv4")?.address;

interface Login {
  username: string;
  password: string;
  /** Whether the session was under TLS when the password was sent. */
  secure: boolean;
}

/** A mail server that wants a password (unless authOptional): STARTTLS offered (smtp-server's own certificate) or not. */
async function passwordMailServer(
  host: string,
  options: { starttls: boolean; authOptional?: boolean },
): Promise<{ port: number; logins: Login[]; received: string[]; stop(): Promise<void> }> {
  const logins: Login[] = [];
  const received: string[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: options.authOptional ?? false,
    // Without STARTTLS smtp-server would not take a password in the clear at all; a server that does is what is tested.
    allowInsecureAuth: true,
    disabledCommands: options.starttls ? [] : ["STARTTLS"],
    onAuth(auth, session, callback) {
      logins.push({ username: auth.username ?? "", password: auth.password ?? "", secure: session.secure });
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on("end", () => {
        received.push(...session.envelope.rcptTo.map((rcpt) => rcpt.address));
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve) => {
    const listening = server.listen(0, host, () => {
      const address = listening.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  return {
    port,
    logins,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("SMTP_URL's credentials", () => {
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const stop of stops) await stop();
  });

  test("the user name and the password are each percent-decoded on their own: a ':' in the user name stays there", async () => {
    const server = await passwordMailServer("127.0.0.1", { starttls: false });
    stops.push(server.stop);
    // User "relay:eu@example.com", password "p@ss:w%rd" (nodemailer alone sent user "relay", password "eu@example.com:p@ss:w%rd").
    const mailer = createMailer({
      smtpUrl: `smtp://relay%3Aeu%40example.com:p%40ss%3Aw%25rd@127.0.0.1:${server.port}`,
      from: FROM,
      log: memoryLog(),
    });
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: true });
    assert.deepEqual(
      server.logins.map(({ username, password }) => ({ username, password })),
      [{ username: "relay:eu@example.com", password: "p@ss:w%rd" }],
    );
    assert.deepEqual(server.received, ["ann@example.com"]);
  });
});

describe("smtp:// with a password to a server off this machine", {
  skip: offMachine ? false : "no non-loopback address",
}, () => {
  const host = offMachine ?? "";
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const stop of stops) await stop();
  });

  test("a server that offers no STARTTLS (or whose offer was stripped on the way): not sent, and the password is never sent", async () => {
    const server = await passwordMailServer(host, { starttls: false });
    stops.push(server.stop);
    const log = memoryLog();
    const mailer = createMailer({ smtpUrl: `smtp://user:secret@${host}:${server.port}`, from: FROM, log });
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: false });
    assert.deepEqual(server.logins, [], "no password in the clear");
    assert.deepEqual(server.received, [], "no reset link in the clear");
    assert.ok(
      log.lines.some((line) =>
        /^error could not send an email .*"hint":"SMTP_URL has a password, so smtp:\/\/ needs STARTTLS: use smtps:\/\/, or add \?requireTLS=false/.test(
          line,
        ),
      ),
      log.lines.join("\n"),
    );
  });

  test("a server that offers STARTTLS: the password and the message go under TLS", async () => {
    const server = await passwordMailServer(host, { starttls: true });
    stops.push(server.stop);
    const mailer = createMailer({
      smtpUrl: `smtp://user:secret@${host}:${server.port}/?tls.rejectUnauthorized=false`,
      from: FROM,
      log: memoryLog(),
    });
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: true });
    assert.deepEqual(server.logins, [{ username: "user", password: "secret", secure: true }]);
    assert.deepEqual(server.received, ["ann@example.com"]);
  });

  test("?requireTLS=false in SMTP_URL: plain SMTP on purpose, as the operator said", async () => {
    const server = await passwordMailServer(host, { starttls: false });
    stops.push(server.stop);
    const mailer = createMailer({
      smtpUrl: `smtp://user:secret@${host}:${server.port}/?requireTLS=false`,
      from: FROM,
      log: memoryLog(),
    });
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: true });
    assert.deepEqual(server.logins, [{ username: "user", password: "secret", secure: false }]);
  });

  test("without a password: a relay on the operator's network, plain SMTP when it offers no STARTTLS, as the README says", async () => {
    const server = await passwordMailServer(host, { starttls: false, authOptional: true });
    stops.push(server.stop);
    const mailer = createMailer({ smtpUrl: `smtp://${host}:${server.port}`, from: FROM, log: memoryLog() });
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: true });
    assert.deepEqual(server.received, ["ann@example.com"]);
  });
});

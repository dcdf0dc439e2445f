/**
 * One email has a deadline of its own (SMTP_TIMEOUT), start to end. The
 * mailer's phase timeouts each end a silence, but a mail server that sends
 * a byte now and then — here an EHLO answer that never ends — resets them
 * and held the send, and the person's request with it (forgot password,
 * sign-up), for ever. Past the deadline the connection is cut, the message
 * counts as not sent, and the person is told so — the same answer whether
 * or not the address has an account.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { createServer as createTlsServer } from "node:tls";
import { SMTPServer } from "smtp-server";
import type { Logger } from "@/common/log.ts";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { Accounts } from "@/lib/accounts/accounts.ts";
import { createMailer } from "@/lib/mail/transport.ts";
import { type Mailbox, startMailbox } from "@/tests/support/mailbox.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

/**
 * A mail server that greets, then answers EHLO one line at a time, a line
 * every 200 ms, and never its last: never silent long enough for a phase
 * timeout. Each connection's end is counted.
 */
async function tricklingMailServer(tls?: {
  key: string;
  cert: string;
}): Promise<{ url: string; closed(): number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let closed = 0;
  const serve = (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    const timers: NodeJS.Timeout[] = [];
    socket.on("close", () => {
      for (const timer of timers) clearInterval(timer);
      sockets.delete(socket);
      closed += 1;
    });
    socket.write("220 trickle.example.test ESMTP\r\n");
    socket.once("data", () => {
      let line = 0;
      timers.push(setInterval(() => socket.write(`250-trickle.example.test line ${++line}\r\n`), 200));
    });
  };
  const server: Server = tls ? createTlsServer(tls, serve) : createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: tls ? `smtps://127.0.0.1:${port}/?tls.rejectUnauthorized=false` : `smtp://127.0.0.1:${port}`,
    closed: () => closed,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const FROM = "Portico <no-reply@example.test>";
const message = { subject: "Reset your password", text: "text", html: "<p>html</p>", links: [] };

describe("the mailer's deadline per message", () => {
  let trickling: Awaited<ReturnType<typeof tricklingMailServer>>;
  let mailbox: Mailbox;
  before(async () => {
    trickling = await tricklingMailServer();
    mailbox = await startMailbox();
  });
  after(async () => {
    await trickling.stop();
    await mailbox.stop();
  });

  test("a server that trickles: the send is cut at the deadline, logged, and the connection closed", {
    timeout: 20_000,
  }, async () => {
    const log = memoryLog();
    const mailer = createMailer({ smtpUrl: trickling.url, from: FROM, log, timeoutMs: 1_500 });
    const closedBefore = trickling.closed();
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: false });
    assert.ok(
      log.lines.some((line) =>
        /^error could not send an email .*"reason":"the message took longer than 1500 ms"/.test(line),
      ),
      log.lines.join("\n"),
    );
    for (let tries = 0; trickling.closed() === closedBefore && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(trickling.closed(), closedBefore + 1);
  });

  test("a server that answers in time: the message goes, under the same deadline", async () => {
    const log = memoryLog();
    const mailer = createMailer({ smtpUrl: mailbox.smtpUrl, from: FROM, log, timeoutMs: 10_000 });
    assert.deepEqual(await mailer.send("bob@example.com", message), { sent: true });
    assert.ok(mailbox.messages().some((mail) => mail.to.includes("bob@example.com")));
  });

  test("nothing listens: still refused at once (ECONNREFUSED), as before", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const log = memoryLog();
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${closedPort}`, from: FROM, log });
    assert.deepEqual(await mailer.send("cy@example.com", message), { sent: false });
    assert.ok(
      log.lines.some((line) => line.includes("ECONNREFUSED")),
      log.lines.join("\n"),
    );
  });
});

/**
 * The mailer opens the connection itself (to hold the socket it cuts), and
 * nodemailer still does TLS over it: smtps from the start, or STARTTLS
 * (smtp-server's own test certificate, hence rejectUnauthorized=false).
 */
describe("the mailer over TLS", () => {
  const received: string[] = [];
  const servers: SMTPServer[] = [];
  async function tlsMailbox(secure: boolean): Promise<{ port: number; server: SMTPServer }> {
    const server = new SMTPServer({
      secure,
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        stream.resume();
        stream.on("end", () => {
          received.push(...session.envelope.rcptTo.map((rcpt) => rcpt.address));
          callback();
        });
      },
    });
    servers.push(server);
    const port = await new Promise<number>((resolve) => {
      const listening = server.listen(0, "127.0.0.1", () => {
        const address = listening.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      });
    });
    return { port, server };
  }
  after(async () => {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("smtps: the message goes", async () => {
    const { port } = await tlsMailbox(true);
    const mailer = createMailer({
      smtpUrl: `smtps://127.0.0.1:${port}/?tls.rejectUnauthorized=false`,
      from: FROM,
      log: memoryLog(),
    });
    assert.deepEqual(await mailer.send("tls@example.com", message), { sent: true });
    assert.ok(received.includes("tls@example.com"));
  });

  test("STARTTLS: the message goes", async () => {
    const { port } = await tlsMailbox(false);
    const mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${port}/?tls.rejectUnauthorized=false&requireTLS=true`,
      from: FROM,
      log: memoryLog(),
    });
    assert.deepEqual(await mailer.send("starttls@example.com", message), { sent: true });
    assert.ok(received.includes("starttls@example.com"));
  });

  test("smtps to a server that trickles: cut at the deadline too", { timeout: 20_000 }, async () => {
    // smtp-server's own test certificate (not in its typings), for a server of this test's.
    const tlsOptions = "smtp-server/lib/tls-options.js";
    const { default: defaults } = (await import(tlsOptions)) as {
      default: () => { key: string; cert: string };
    };
    const trickling = await tricklingMailServer(defaults());
    try {
      const log = memoryLog();
      const mailer = createMailer({ smtpUrl: trickling.url, from: FROM, log, timeoutMs: 1_500 });
      assert.deepEqual(await mailer.send("ann@example.com", message), { sent: false });
      assert.ok(
        log.lines.some((line) => line.includes("took longer than 1500 ms")),
        log.lines.join("\n"),
      );
    } finally {
      await trickling.stop();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`forgot password with a trickling mail server (${backend})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let trickling: Awaited<ReturnType<typeof tricklingMailServer>>;
    let accounts: Accounts;

    before(async () => {
      const fresh = await freshDatabase(backend);
      drop = fresh.drop;
      await migrate(fresh.url);
      db = createDatabase(fresh.url);
      trickling = await tricklingMailServer();
      const mailer = createMailer({ smtpUrl: trickling.url, from: FROM, log: memoryLog(), timeoutMs: 1_500 });
      accounts = new Accounts({ db, mailer, issuer: "https://login.example.test", signupOpen: true });
    });
    after(async () => {
      await trickling.stop();
      await db.$disconnect();
      await drop();
    });

    test("an address with an account and one without get the same answer, and no reset link is left", {
      timeout: 20_000,
    }, async () => {
      const email = `dana-${process.pid}@example.com`;
      const user = await db.user.create({
        data: { id: `dana-${process.pid}`, email, name: "Dana", passwordHash: "x" },
      });
      const known = await accounts.requestPasswordReset(email, "198.51.100.7");
      const unknown = await accounts.requestPasswordReset(
        `nobody-${process.pid}@example.com`,
        "198.51.100.8",
      );
      assert.deepEqual(known, { ok: false, code: "mail_failed" });
      assert.deepEqual(unknown, known);
      assert.equal(await db.accountToken.count({ where: { userId: user.id } }), 0);
    });
  });
}

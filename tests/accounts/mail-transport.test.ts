import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Logger } from "@/common/log.ts";
import { createMailer } from "@/lib/mail/transport.ts";

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

/**
 * A mail server that stops answering: `silent` accepts the connection and
 * never greets; `mute` greets and answers EHLO, then says nothing more. Each
 * connection's end is recorded, so a test sees that the mailer hung up.
 */
async function stuckMailServer(
  mode: "silent" | "mute",
): Promise<{ url: string; closed: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { closed: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      state.closed += 1;
    });
    if (mode === "silent") return;
    socket.write("220 stuck.example.test ESMTP\r\n");
    let answered = false;
    socket.on("data", () => {
      if (answered) return;
      answered = true;
      socket.write("250 stuck.example.test\r\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    get closed() {
      return state.closed;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const message = { subject: "Reset your password", text: "text", html: "<p>html</p>", links: [] };

// The mailer gives up on a mail server after 10 s of silence, so that a person's request is answered
// ("We could not send the email") instead of hanging. nodemailer's own defaults, which applied while
// the timeouts were passed where nodemailer takes the messages' defaults, are 30 s for a greeting and
// 10 minutes of silence mid-conversation: each test's limit lies between.
describe("the mailer and a mail server that stops answering", () => {
  const servers: Awaited<ReturnType<typeof stuckMailServer>>[] = [];
  let silent: Awaited<ReturnType<typeof stuckMailServer>>;
  let mute: Awaited<ReturnType<typeof stuckMailServer>>;

  before(async () => {
    silent = await stuckMailServer("silent");
    mute = await stuckMailServer("mute");
    servers.push(silent, mute);
  });
  after(async () => {
    for (const server of servers) await server.stop();
  });

  test("a server that never greets: the send is given up, answered as not sent, and logged", {
    timeout: 25_000,
  }, async () => {
    const log = memoryLog();
    const mailer = createMailer({ smtpUrl: silent.url, from: "Portico <no-reply@example.test>", log });
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: false });
    assert.ok(
      log.lines.some((line) => /^error could not send an email .*"code":"ETIMEDOUT"/.test(line)),
      log.lines.join("\n"),
    );
  });

  test("a server that greets, then says nothing more: the send is given up and the connection closed", {
    timeout: 25_000,
  }, async () => {
    const log = memoryLog();
    const mailer = createMailer({ smtpUrl: mute.url, from: "Portico <no-reply@example.test>", log });
    assert.deepEqual(await mailer.send("ann@example.com", message), { sent: false });
    assert.ok(
      log.lines.some((line) => /^error could not send an email .*"code":"ETIMEDOUT"/.test(line)),
      log.lines.join("\n"),
    );
    for (let tries = 0; mute.closed === 0 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(mute.closed, 1);
  });
});

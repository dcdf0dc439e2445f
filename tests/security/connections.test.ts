import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Portico, startPortico } from "@/tests/support/server.ts";

/** Sends raw bytes on one connection; answers everything the server wrote until it closed it. */
function exchange(url: string, write: (socket: import("node:net").Socket) => void): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = "";
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`the connection stayed open; received so far:\n${received.slice(0, 500)}`));
    });
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => resolve(received));
    socket.on("close", () => resolve(received));
    socket.on("connect", () => write(socket));
  });
}

describe("a body over 1 MiB (finding 13)", () => {
  let portico: Portico;
  before(async () => {
    portico = await startPortico();
  });
  after(() => portico.stop());

  test("a chunked body over the limit gets 413 with Connection: close, and the connection ends", async () => {
    const token = await portico.rootToken();
    const received = await exchange(portico.url, (socket) => {
      socket.write(
        [
          "POST /clients HTTP/1.1",
          `Host: ${new URL(portico.url).host}`,
          `Authorization: Bearer ${token}`,
          "Content-Type: application/json",
          "Transfer-Encoding: chunked",
          "Connection: keep-alive",
          "",
          "",
        ].join("\r\n"),
      );
      const chunk = Buffer.alloc(64 * 1024, "a");
      for (let i = 0; i < 20; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`);
      socket.write("0\r\n\r\n");
      // A second request on the same connection: it must not be read out of the refused body.
      socket.write(`GET /health HTTP/1.1\r\nHost: ${new URL(portico.url).host}\r\n\r\n`);
    });
    const [status] = received.split("\r\n");
    assert.equal(status, "HTTP/1.1 413 Payload Too Large");
    assert.match(received, /\r\nconnection: close\r\n/i);
    assert.equal((received.match(/HTTP\/1\.1 /g) ?? []).length, 1, "one answer, then the connection closed");
    assert.equal((await fetch(`${portico.url}/health`)).status, 200, "the server goes on serving");
  });
});

describe("requests Node's HTTP parser refuses (no handler sees them)", () => {
  let portico: Portico;
  before(async () => {
    portico = await startPortico();
  });
  after(() => portico.stop());

  const host = () => new URL(portico.url).host;
  const parts = (received: string) => {
    const [head = "", body = ""] = received.split("\r\n\r\n");
    return { status: head.split("\r\n")[0], head, body };
  };

  test("raw non-ASCII bytes in the target: 400 with a plain-text body saying why, then the connection closes", async () => {
    const received = await exchange(portico.url, (socket) => {
      socket.write(
        Buffer.concat([
          Buffer.from("GET /cl"),
          Buffer.from([0xc3, 0xa9]),
          Buffer.from(`ients HTTP/1.1\r\nHost: ${host()}\r\n\r\n`),
        ]),
      );
    });
    const { status, head, body } = parts(received);
    assert.equal(status, "HTTP/1.1 400 Bad Request");
    assert.match(head, /\r\ncontent-type: text\/plain; charset=utf-8/i);
    assert.match(head, /\r\nconnection: close/i);
    assert.match(body, /not valid HTTP\/1\.1/);
    assert.equal((await fetch(`${portico.url}/health`)).status, 200, "the server goes on serving");
  });

  test("header fields over 16 KB: 431 with a body saying so", async () => {
    const received = await exchange(portico.url, (socket) => {
      socket.write(`GET /health HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    });
    const { status, body } = parts(received);
    assert.equal(status, "HTTP/1.1 431 Request Header Fields Too Large");
    assert.match(body, /header fields are too large/);
  });

  test("a malformed second request on a kept-alive connection: the first is answered, the second gets 400", async () => {
    const received = await exchange(portico.url, (socket) => {
      socket.write(`GET /health HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
      // The second request goes once the first is answered (sent together, the parser's error could
      // come while the first answer is still being made, and Node then answers only the error).
      let first = "";
      socket.on("data", function whole(chunk: Buffer) {
        first += chunk.toString("latin1");
        const end = first.indexOf("\r\n\r\n");
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(first)?.[1] ?? Number.NaN);
        if (end === -1 || !(first.length - end - 4 >= length)) return;
        socket.off("data", whole);
        socket.write("NOT HTTP AT ALL\r\n\r\n");
      });
    });
    const answers = received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    assert.deepEqual(answers, ["HTTP/1.1 200", "HTTP/1.1 400"]);
    assert.match(received, /not valid HTTP\/1\.1/);
  });
});

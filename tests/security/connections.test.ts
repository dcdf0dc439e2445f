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

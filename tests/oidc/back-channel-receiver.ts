import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { sleep } from "@/tests/oauth2/support.ts";

/** A back-channel logout receiver on a free port: records every token; `answer` decides the reply. */
export class Receiver {
  readonly tokens: string[] = [];
  answer: (res: ServerResponse) => void = (res) => res.writeHead(200).end();
  private server!: Server;
  url = "";

  async start(port = 0): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        assert.equal(req.method, "POST");
        assert.match(req.headers["content-type"] ?? "", /^application\/x-www-form-urlencoded/);
        this.tokens.push(new URLSearchParams(body).get("logout_token") ?? "");
        this.answer(res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/backchannel`;
    return this;
  }

  async waitFor(count: number, timeoutMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.tokens.length < count && Date.now() < deadline) await sleep(50);
    assert.ok(this.tokens.length >= count, `expected ${count} logout tokens, got ${this.tokens.length}`);
    return this.tokens;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

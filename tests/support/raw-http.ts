/**
 * Requests exactly as a test writes them, for the tests of the HTTP layer: fetch would resolve dot
 * segments, add headers or refuse some (a body on GET, Content-Length by hand).
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request over node:http, its target and headers as given. */
export function send(
  base: string,
  target: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, path: target, method: init.method ?? "GET", headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** A method a path does not take, and the `Allow` of its 405: the methods the path does take. */
export type RefusedMethod = readonly [method: string, path: string, allow: string];

/**
 * Sends each refused method (with `init`'s headers and body): each must be a 405 carrying its
 * `Allow`, and `says` checks the rest (each face words it in its own format).
 */
export async function assertMethodsRefused(
  base: string,
  refused: readonly RefusedMethod[],
  says: (answer: RawAnswer, ...row: RefusedMethod) => void,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<void> {
  for (const [method, path, allow] of refused) {
    const answer = await send(base, path, { method, ...init });
    assert.equal(answer.status, 405, `${method} ${path}: ${answer.status} ${answer.body.slice(0, 200)}`);
    assert.equal(answer.headers.allow, allow, `${method} ${path}`);
    says(answer, method, path, allow);
  }
}

/**
 * Writes `text` on a new connection; answers all the server wrote until it closed the connection
 * (latin1, byte for byte). A connection still open after 10 s fails, with what came so far.
 */
export function rawExchange(base: string, text: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = "";
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`the connection stayed open; received so far:\n${received.slice(0, 500)}`));
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("close", () => resolve(received));
    socket.on("error", reject);
    socket.on("connect", () => socket.write(text));
  });
}

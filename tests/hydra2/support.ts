import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Configuration, JwkApi, MetadataApi, OAuth2Api, ResponseError } from "@ory/hydra-client-fetch";
import type { Portico } from "@/tests/support/server.ts";

/** Ory's official SDK, pointed at the admin listener of a started Portico. */
export function sdk(portico: Portico) {
  const configuration = new Configuration({ basePath: portico.adminUrl });
  return {
    oauth2: new OAuth2Api(configuration),
    jwk: new JwkApi(configuration),
    metadata: new MetadataApi(configuration),
  };
}

/** The raw JSON of an SDK answer, read before the SDK maps it to its camelCase models. */
export async function rawJson(response: { raw: Response }): Promise<unknown> {
  return response.raw.clone().json();
}

/** The HTTP answer of an SDK call that failed with an error status. */
export async function failure(call: Promise<unknown>): Promise<Response> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ResponseError) return error.response;
    throw error;
  }
  throw new Error("the call succeeded");
}

/** The challenge `name` of a 302 to `url` (the login or consent app's URLS_LOGIN or URLS_CONSENT). */
export function challengeOf(response: Response, url: string, name: string): string {
  assert.equal(response.status, 302, `expected a redirect to ${url}, got ${response.status}`);
  const location = new URL(response.headers.get("location") ?? "");
  assert.equal(`${location.origin}${location.pathname}`, url);
  const challenge = location.searchParams.get(name);
  assert.ok(challenge, `${name} is in the redirect`);
  return challenge;
}

/** fetch against the admin listener with an optional JSON (or raw string) body. */
export function admin(
  portico: Portico,
  path: string,
  init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const body = init.body ?? (init.json === undefined ? undefined : JSON.stringify(init.json));
  return fetch(`${portico.adminUrl}${path}`, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
    body,
    redirect: "manual",
  });
}

/** A back-channel logout receiver on a free loopback port: records every logout token it is sent. */
export class LogoutReceiver {
  readonly tokens: string[] = [];
  private server!: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        this.tokens.push(new URLSearchParams(body).get("logout_token") ?? "");
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/backchannel`;
    return this;
  }

  /** Waits until at least `count` tokens arrived; answers them all. */
  async waitFor(count: number, timeoutMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.tokens.length < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    if (this.tokens.length < count)
      throw new Error(`expected ${count} logout tokens, got ${this.tokens.length}`);
    return this.tokens;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

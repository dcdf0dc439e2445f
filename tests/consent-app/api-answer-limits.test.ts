/**
 * The consent app's two API clients against a server that answers too much:
 * HYDRA_URL and HYDRA_ADMIN_URL may be any server of the API, and one that
 * sends hundreds of megabytes must cost the app a refused answer, not its
 * memory (or, past V8's longest string, an exception outside any request).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { HydraAdminClient } from "@/lib/hydra/admin.ts";
import { HydraClient } from "@/lib/hydra/client.ts";
import { HydraError } from "@/lib/hydra/errors.ts";
import { MAX_ANSWER_BYTES } from "@/lib/hydra/http.ts";

/** What the server offers when it floods: far more than any answer the app reads. */
const FLOOD_BYTES = 256 * 1024 * 1024;

interface Flood {
  /** Bytes written before the connection closed. */
  sent: number;
  closed: Promise<void>;
}

/**
 * A server of both APIs: `/oauth2/token` gives a token; any other path
 * answers as its first segment after the API prefix says (`flood`,
 * `announced`, `padded`, `stall`, `flood500`).
 */
async function startOdd(): Promise<{ url: string; server: Server; floods: Flood[] }> {
  const floods: Flood[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://odd");
    if (url.pathname === "/oauth2/token" && !url.search.includes("flood")) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ access_token: "t", token_type: "bearer", expires_in: 3600 }));
      return;
    }
    const how = `${url.pathname}${url.search}`.match(/(flood500|flood|announced|padded|stall)/)?.[1];
    if (how === "padded") {
      // A consent request just under the limit, padded with whitespace: still read.
      const body = JSON.stringify({
        id: "padded",
        audience: "app",
        requestedScopes: ["openid"],
        redirectUrl: "http://127.0.0.1/oauth2/auth?consent=padded",
      });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(body + " ".repeat(MAX_ANSWER_BYTES - body.length - 1));
      return;
    }
    if (how === "announced") {
      // A length far over the limit, announced before any of it.
      response.writeHead(200, { "content-type": "application/json", "content-length": String(FLOOD_BYTES) });
      response.write("{");
      return;
    }
    if (how === "stall") {
      // The start of an answer, then nothing: the time limit covers reading the body.
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"challenge":');
      return;
    }
    if (how === "flood" || how === "flood500") {
      let resolveClosed = () => {};
      const flood: Flood = { sent: 0, closed: new Promise((resolve) => (resolveClosed = resolve)) };
      floods.push(flood);
      response.on("close", resolveClosed);
      response.writeHead(how === "flood500" ? 500 : 200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (flood.sent < FLOOD_BYTES && !response.destroyed) {
          flood.sent += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", pump);
        }
        if (!response.destroyed) response.end("{}");
      };
      pump();
      return;
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, floods };
}

async function failure(call: Promise<unknown>): Promise<HydraError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof HydraError, `a HydraError, not ${String(error)}`);
    return error;
  }
  throw new Error("the call succeeded");
}

describe("answers over the size limit", () => {
  let odd: Awaited<ReturnType<typeof startOdd>>;
  before(async () => {
    odd = await startOdd();
  });
  after(() => {
    odd.server.closeAllConnections();
    odd.server.close();
  });

  /** The flood the last call met was cut off: the app closed the connection long before its end. */
  async function floodCutOff(): Promise<void> {
    const flood = odd.floods.at(-1);
    assert.ok(flood, "the server was asked for a flood");
    await flood.closed;
    assert.ok(flood.sent < FLOOD_BYTES, `the connection closed after ${flood.sent} of ${FLOOD_BYTES} bytes`);
  }

  test("the 2017 API client refuses an endless consent request as bad_response and drops the connection", async () => {
    const client = new HydraClient({ url: odd.url, clientId: "a", clientSecret: "b" });
    const error = await failure(client.getConsentRequest("flood"));
    assert.equal(error.code, "bad_response");
    assert.match(error.message, /too large/);
    await floodCutOff();
  });

  test("the 2017 API client refuses an error answer over the limit too", async () => {
    const client = new HydraClient({ url: odd.url, clientId: "a", clientSecret: "b" });
    assert.equal((await failure(client.getClient("flood500"))).code, "bad_response");
    await floodCutOff();
  });

  test("the 2017 API client refuses an announced length over the limit before reading it", async () => {
    const client = new HydraClient({ url: odd.url, clientId: "a", clientSecret: "b" });
    assert.equal((await failure(client.getLogoutRequest("announced"))).code, "bad_response");
  });

  test("a token endpoint that floods is bad_response, and no token is kept", async () => {
    const client = new HydraClient({ url: `${odd.url}/flood`, clientId: "a", clientSecret: "b" });
    // `${url}/oauth2/token` under the /flood prefix: the token request itself floods.
    assert.equal((await failure(client.getClient("app"))).code, "bad_response");
    await floodCutOff();
  });

  test("an answer just under the limit is still read", async () => {
    const client = new HydraClient({ url: odd.url, clientId: "a", clientSecret: "b" });
    const request = await client.getConsentRequest("padded");
    assert.equal(request.id, "padded");
  });

  test("the Hydra 2.x admin client refuses an endless login request as bad_response and drops the connection", async () => {
    const admin = new HydraAdminClient({ url: odd.url });
    const error = await failure(admin.getLoginRequest("flood"));
    assert.equal(error.code, "bad_response");
    assert.match(error.message, /too large/);
    await floodCutOff();
  });

  test("the Hydra 2.x admin client reads at most the limit of an error answer", async () => {
    const admin = new HydraAdminClient({ url: odd.url });
    const error = await failure(admin.getConsentRequest("flood500"));
    assert.equal(error.code, "bad_response");
    assert.equal(error.details.status, 500);
    await floodCutOff();
  });

  test("the Hydra 2.x admin client refuses an announced length over the limit", async () => {
    const admin = new HydraAdminClient({ url: odd.url });
    assert.equal((await failure(admin.getLogoutRequest("announced"))).code, "bad_response");
  });

  test("a Hydra 2.x answer that stops half-way is unreachable after the time limit", async () => {
    const admin = new HydraAdminClient({ url: odd.url, timeoutMs: 300 });
    assert.equal((await failure(admin.getLoginRequest("stall"))).code, "unreachable");
  });
});

describe("lists over their limit", () => {
  /** A 2017 API client whose server gives a token and then `body` for every other call. */
  function answering(body: unknown): HydraClient {
    return new HydraClient({
      url: "http://hydra.invalid",
      clientId: "a",
      clientSecret: "b",
      fetch: async (url) => ({
        status: 200,
        text: async () =>
          JSON.stringify(url.endsWith("/oauth2/token") ? { access_token: "t", expires_in: 3600 } : body),
      }),
    });
  }
  const consentRequest = (scopes: number) => ({
    id: "c1",
    audience: "app",
    requestedScopes: Array.from({ length: scopes }, (_, index) => `scope${index}`),
    redirectUrl: "http://127.0.0.1/oauth2/auth?consent=c1",
  });
  const grants = (count: number) =>
    Array.from({ length: count }, (_, index) => ({
      client_id: `app-${index}`,
      scope: "openid",
      granted_at: "2026-01-01T00:00:00Z",
    }));

  test("a consent request may name 100 scopes, not more: each is a row of the consent screen", async () => {
    assert.equal((await answering(consentRequest(100)).getConsentRequest("c1")).requestedScopes.length, 100);
    assert.equal(
      (await failure(answering(consentRequest(101)).getConsentRequest("c1"))).code,
      "bad_response",
    );
  });

  test("a person's list of apps may name 500, not more: the account page looks each one up", async () => {
    assert.equal((await answering(grants(500)).listSubjectGrants("s")).length, 500);
    assert.equal((await failure(answering(grants(501)).listSubjectGrants("s"))).code, "bad_response");
  });

  test("Hydra 2.x: a consent-session list longer than the page asked for is not read", async () => {
    const sessions = (count: number) =>
      Array.from({ length: count }, (_, index) => ({
        consent_request: { client: { client_id: `app-${index}` } },
        grant_scope: ["openid"],
        handled_at: "2026-01-01T00:00:00Z",
      }));
    let asked = "";
    const admin = (count: number) =>
      new HydraAdminClient({
        url: "http://hydra-admin.invalid",
        fetch: (async (input: string | URL | Request) => {
          asked = String(input);
          return Response.json(sessions(count));
        }) as typeof fetch,
      });
    assert.equal((await admin(500).listSubjectGrants("s")).length, 500);
    assert.match(asked, /page_size=500/);
    assert.equal((await failure(admin(501).listSubjectGrants("s"))).code, "bad_response");
  });
});

/**
 * The login & consent pages when the API server they depend on (HYDRA_URL,
 * here an external one) fails: silent, slow to give a token, answering
 * something that is not the API's JSON, a 5xx, a connection cut mid-answer,
 * or refusing the app's cached token. Each page still explains itself in
 * words, with a reference and without a stack, and answers the 5xx a
 * gateway would (502 an answer the app cannot use, 503 no answer, 504 the
 * time limit, HYDRA_TIMEOUT); GET /consent, which meets the failure first,
 * hands it to the consent screen rather than making the person wait for the
 * silent server a second time.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type FakeAnswer,
  type FakeCall,
  type FakeHydraApi,
  startFakeHydraApi,
} from "@/tests/support/fake-hydra-api.ts";
import { BACKENDS, type Backend, type Portico, startPortico } from "@/tests/support/server.ts";

/** What the fake API server does with the token endpoint. */
type TokenMode = "ok" | "silent" | "refused";

interface FakeApi extends FakeHydraApi {
  tokenMode: TokenMode;
  /** Lifetime of the tokens it gives: short makes the app ask for a new one soon. */
  tokenLifetime: number;
  /** Tokens given so far are refused from now on (401), as after a revocation or a key rotation. */
  revokeAll(): void;
}

/**
 * How the request of this id fails: `silent-…` never answers (the connection stays open),
 * `garbage-…` a 200 that is not JSON, `shape-…` JSON of another shape, `fail-…` a 500, `cut-…` the
 * start of an answer and then a reset connection; any other id is answered by the route.
 */
function failureOf({ id, request, response }: FakeCall): FakeAnswer | undefined {
  const how = id.split("-")[0];
  if (how === "silent") return "silent";
  if (how === "garbage") return { status: 200, text: "<html><body>Welcome to nginx!</body></html>" };
  if (how === "shape") return { status: 200, body: { consent: { id } } };
  if (how === "fail") return { status: 500, body: { error: { code: 500, message: "database is down" } } };
  if (how === "cut") {
    response.writeHead(200, { "content-type": "application/json", "content-length": "400" });
    response.write('{"id":"cut","audience":');
    setTimeout(() => request.socket.resetAndDestroy(), 20);
    return "handled";
  }
  return undefined;
}

/**
 * A server of the 2017 API's shape on a random port, whose consent and logout requests answer or
 * fail as their ids say (`ok-…` a valid request), and whose Hydra 2.x admin API answers as the
 * challenge says (`silent-…`, `garbage-…`, otherwise an unknown challenge).
 */
async function startFakeApi(): Promise<FakeApi> {
  const revoked = new Set<string>();
  const given: string[] = [];
  let issued = 0;
  const fake: FakeApi = Object.assign(
    await startFakeHydraApi({
      token: () => {
        if (fake.tokenMode === "silent") return "silent";
        if (fake.tokenMode === "refused") return { status: 401, body: { error: "invalid_client" } };
        const token = `token-${++issued}`;
        given.push(token);
        return {
          status: 200,
          body: { access_token: token, token_type: "bearer", expires_in: fake.tokenLifetime },
        };
      },
      admin: ({ url }) => {
        const challenge = [...url.searchParams.values()][0] ?? "";
        const how = challenge.split("-")[0];
        if (how === "silent") return "silent";
        if (how === "garbage") return { status: 200, text: "<html>" };
        return { status: 404, body: { error: "not_found", error_description: "unknown challenge" } };
      },
      guard: ({ bearer }) =>
        !given.includes(bearer) || revoked.has(bearer)
          ? { status: 401, body: { error: { code: 401, status: "Unauthorized", message: "token refused" } } }
          : undefined,
      logoutRequest: (call) => failureOf(call) ?? { status: 200, body: { id: call.id } },
      consentRequest: (call) =>
        failureOf(call) ?? {
          status: 200,
          body: {
            id: call.id,
            audience: "external-app",
            requestedScopes: ["openid"],
            redirectUrl: `${call.origin}/oauth2/auth?consent=${call.id}`,
            client: { id: "external-app", client_name: "External App" },
          },
        },
    }),
    {
      tokenMode: "ok" as TokenMode,
      tokenLifetime: 3600,
      revokeAll() {
        for (const token of given) revoked.add(token);
      },
    },
  );
  return fake;
}

let serial = 0;
const id = (how: string) => `${how}-${process.pid}-${++serial}`;

/** A page of the app, its status and body (redirects are not followed). */
async function page(
  portico: Portico,
  path: string,
): Promise<{ status: number; body: string; location: string }> {
  const response = await fetch(`${portico.url}${path}`, { redirect: "manual" });
  return {
    status: response.status,
    body: await response.text(),
    location: response.headers.get("location") ?? "",
  };
}

/** What every failure page shows and never shows. */
function assertExplained(body: string, words: RegExp): void {
  assert.match(body, words);
  assert.match(body, /quote reference <span[^>]*>[0-9a-f]{8}</);
  assert.doesNotMatch(body, /\bat [\w.<>]+ \(|node:internal|HydraError|token-\d/);
}

/**
 * The pages' time limit here: short, as every silent-server test waits it out, but long enough that
 * a working call on a loaded machine (CI runs test files side by side on two cores) never meets it.
 */
const TIME_LIMIT = "3s";

/**
 * The fake API server and a Portico whose pages call it (HYDRA_URL; with `hydra2`, HYDRA_ADMIN_URL
 * too), with the pages' time limit above.
 */
async function startBehindFakeApi(
  backend: Backend,
  { hydra2 = false } = {},
): Promise<{ fake: FakeApi; portico: Portico }> {
  const fake = await startFakeApi();
  let portico: Portico | undefined;
  try {
    portico = await startPortico({
      backend,
      compiled: true,
      env: {
        HYDRA_URL: fake.url,
        ...(hydra2 ? { HYDRA_ADMIN_URL: fake.url } : {}),
        HYDRA_CLIENT_ID: "consent-app",
        HYDRA_CLIENT_SECRET: "consent-app-secret",
        HYDRA_TIMEOUT: TIME_LIMIT,
      },
    });
    // The first call of a fresh server loads the code it runs: not a test's time limit to pay.
    await page(portico, `/consent?consent=${id("ok")}`);
    return { fake, portico };
  } catch (error) {
    await portico?.stop();
    await fake.stop();
    throw error;
  }
}

for (const backend of BACKENDS) {
  describe(`the pages when the API server fails (${backend})`, { timeout: 120_000 }, () => {
    let fake: FakeApi;
    let portico: Portico;

    before(async () => {
      ({ fake, portico } = await startBehindFakeApi(backend));
    });
    after(async () => {
      await portico?.stop();
      await fake?.stop();
    });

    test("a usable consent request still leads on to sign-in (the fake server works)", async () => {
      const consent = id("ok");
      const step = await page(portico, `/consent?consent=${consent}`);
      assert.equal(step.status, 303);
      assert.equal(step.location, `/login?consent=${consent}`);
    });

    test("a silent server: GET /consent gives up at HYDRA_TIMEOUT, the screen says so with a 504 without asking again", async () => {
      const consent = id("silent");
      const step = await page(portico, `/consent?consent=${consent}`);
      assert.equal(step.status, 303);
      assert.match(
        step.location,
        new RegExp(`^/consent/ask\\?consent=${consent}&failed=unreachable\\.504\\.[0-9a-f]{8}$`),
      );
      const asked = fake.requests.length;
      const screen = await page(portico, step.location);
      assert.equal(screen.status, 504);
      assertExplained(screen.body, /We cannot reach the sign-in service/);
      assert.equal(fake.requests.length, asked, "the screen did not ask the silent server again");
      // "Try again" goes through the step again, not to this page with its `failed`.
      assert.match(screen.body, new RegExp(`href="/consent\\?consent=${consent}"`));
      assert.ok(portico.output().includes('"timedOut":true'), "the log says the time limit passed");
    });

    test("the consent screen itself, reached directly, answers 504 for a silent server", async () => {
      const screen = await page(portico, `/consent/ask?consent=${id("silent")}`);
      assert.equal(screen.status, 504);
      assertExplained(screen.body, /We cannot reach the sign-in service/);
    });

    test("an answer that is not JSON, or not the API's shape: 502", async () => {
      for (const how of ["garbage", "shape"]) {
        const consent = id(how);
        const step = await page(portico, `/consent?consent=${consent}`);
        assert.match(step.location, /&failed=bad_response\.502\.[0-9a-f]{8}$/, how);
        const screen = await page(portico, step.location);
        assert.equal(screen.status, 502, how);
        assertExplained(screen.body, /gave an answer we did not expect/);
        const direct = await page(portico, `/consent/ask?consent=${id(how)}`);
        assert.equal(direct.status, 502, how);
      }
    });

    test("the server answering 500: 502", async () => {
      const screen = await page(portico, `/consent/ask?consent=${id("fail")}`);
      assert.equal(screen.status, 502);
      assertExplained(screen.body, /gave an answer we did not expect/);
      assert.doesNotMatch(screen.body, /database is down/);
    });

    test("a connection reset in the middle of the answer: 503", async () => {
      const screen = await page(portico, `/consent/ask?consent=${id("cut")}`);
      assert.equal(screen.status, 503);
      assertExplained(screen.body, /We cannot reach the sign-in service/);
    });

    test("pages answered side by side each keep their own status: a noted 5xx goes to no other page", async () => {
      const asked = [
        ...Array.from({ length: 6 }, () => ({ path: `/consent/ask?consent=${id("fail")}`, status: 502 })),
        ...Array.from({ length: 6 }, () => ({ path: `/consent/ask?consent=${id("cut")}`, status: 503 })),
        ...Array.from({ length: 6 }, () => ({ path: `/logout/confirm?logout=${id("ok")}`, status: 200 })),
        ...Array.from({ length: 6 }, () => ({ path: "/login", status: 200 })),
      ].sort(() => Math.random() - 0.5);
      const answers = await Promise.all(asked.map(({ path }) => page(portico, path)));
      for (const [i, { path, status }] of asked.entries()) assert.equal(answers[i]?.status, status, path);
      // And after them, a page that notes nothing is a 200 still.
      assert.equal((await page(portico, "/login")).status, 200);
    });

    test("a sign-out request the server does not answer: 504, in words", async () => {
      const screen = await page(portico, `/logout/confirm?logout=${id("silent")}`);
      assert.equal(screen.status, 504);
      assert.match(screen.body, /We cannot reach the sign-in service right now/);
      const ok = await page(portico, `/logout/confirm?logout=${id("ok")}`);
      assert.equal(ok.status, 200);
    });

    test("GET /logout hands a silent server's 504 to the sign-out page, which does not ask again", async () => {
      const logout = id("silent");
      const step = await page(portico, `/logout?logout=${logout}`);
      assert.equal(step.status, 303);
      assert.match(
        step.location,
        new RegExp(`/logout/confirm\\?logout=${logout}&failed=unreachable\\.504\\.[0-9a-f]{8}$`),
      );
      const asked = fake.requests.length;
      const screen = await page(portico, new URL(step.location).pathname + new URL(step.location).search);
      assert.equal(screen.status, 504);
      assert.match(screen.body, /We cannot reach the sign-in service right now/);
      assert.equal(fake.requests.length, asked);
    });

    test("a `failed` value someone wrote into the step's URL is not carried on to the screen", async () => {
      const consent = id("ok");
      const step = await page(portico, `/consent?consent=${consent}&failed=unreachable.504.0badc0de`);
      assert.equal(step.location, `/login?consent=${consent}`);
    });

    test("the app's token refused mid-flow (revoked, keys rotated): it gets a new one and the call goes through", async () => {
      const before = fake.requests.filter((line) => line === "POST /oauth2/token").length;
      fake.revokeAll();
      const consent = id("ok");
      const step = await page(portico, `/consent?consent=${consent}`);
      assert.equal(step.location, `/login?consent=${consent}`);
      assert.equal(fake.requests.filter((line) => line === "POST /oauth2/token").length, before + 1);
    });

    test("the app's own client refused (its secret rotated, the client deleted): 502, in words", async () => {
      fake.revokeAll();
      fake.tokenMode = "refused";
      try {
        const screen = await page(portico, `/consent/ask?consent=${id("ok")}`);
        assert.equal(screen.status, 502);
        assertExplained(screen.body, /The sign-in service turned this app away/);
      } finally {
        fake.tokenMode = "ok";
      }
    });

    test("a token endpoint that stops answering: the page gives up at HYDRA_TIMEOUT with a 504", async () => {
      // A token that must be renewed at once, from a token endpoint that says nothing.
      fake.tokenLifetime = 1;
      fake.revokeAll();
      assert.equal((await page(portico, `/consent?consent=${id("ok")}`)).status, 303);
      // Not a timed assertion: the token given above is due for renewal after half its second.
      await new Promise((resolve) => setTimeout(resolve, 600));
      fake.tokenMode = "silent";
      try {
        const screen = await page(portico, `/consent/ask?consent=${id("ok")}`);
        assert.equal(screen.status, 504);
        assertExplained(screen.body, /We cannot reach the sign-in service/);
      } finally {
        fake.tokenMode = "ok";
        fake.tokenLifetime = 3600;
      }
    });
  });
}

for (const backend of BACKENDS) {
  describe(`the Hydra 2.x pages when the admin API fails (${backend})`, { timeout: 120_000 }, () => {
    let fake: FakeApi;
    let portico: Portico;

    before(async () => {
      ({ fake, portico } = await startBehindFakeApi(backend, { hydra2: true }));
    });
    after(async () => {
      await portico?.stop();
      await fake?.stop();
    });

    test("a silent admin API: the sign-in page answers 504, in words", async () => {
      const challenge = id("silent");
      const screen = await page(portico, `/login?login_challenge=${challenge}`);
      assert.equal(screen.status, 504);
      assertExplained(screen.body, /We cannot reach the sign-in service/);
      assert.match(screen.body, new RegExp(`href="/login\\?login_challenge=${challenge}"`));
    });

    test("a silent admin API: GET /consent hands its 504 to the consent screen, which does not ask again", async () => {
      const challenge = id("silent");
      const step = await page(portico, `/consent?consent_challenge=${challenge}`);
      assert.equal(step.status, 303);
      assert.match(step.location, /&failed=unreachable\.504\.[0-9a-f]{8}$/);
      const asked = fake.requests.length;
      const screen = await page(portico, step.location);
      assert.equal(screen.status, 504);
      assertExplained(screen.body, /We cannot reach the sign-in service/);
      assert.equal(fake.requests.length, asked);
      assert.match(screen.body, new RegExp(`href="/consent\\?consent_challenge=${challenge}"`));
    });

    test("an admin API answering something else than JSON: 502; an unknown challenge stays a 200 page", async () => {
      const bad = await page(portico, `/login?login_challenge=${id("garbage")}`);
      assert.equal(bad.status, 502);
      assertExplained(bad.body, /gave an answer we did not expect/);
      const unknown = await page(portico, `/login?login_challenge=${id("unknown")}`);
      assert.equal(unknown.status, 200);
      assert.match(unknown.body, /We could not find this sign-in request/);
    });

    test("a sign-out challenge the admin API does not answer: 504", async () => {
      const screen = await page(portico, `/logout/confirm?logout_challenge=${id("silent")}`);
      assert.equal(screen.status, 504);
      assert.match(screen.body, /We cannot reach the sign-in service right now/);
    });
  });
}

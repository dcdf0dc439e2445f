/**
 * Rotating SYSTEM_SECRET, as Hydra's SECRETS_SYSTEM list does it: restarted
 * with a new SYSTEM_SECRET and the old one in SYSTEM_SECRET_PREVIOUS, stored
 * private keys are read with the old secret and encrypted again under the new
 * one (so the old secret can then be dropped), refresh tokens issued before
 * still refresh, and access tokens and codes issued before end, as the README
 * says, without a 5xx. Over real HTTP, on both backends.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { decodeProtectedHeader } from "jose";
import { createDatabase } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import {
  SYSTEM_SECRET as A,
  authorizeThrough,
  Browser,
  ConsentApp,
  credentialsOf,
  isActive,
  offlineTokens,
  postForm,
  REFRESHING_CLIENT,
  randomValue,
  refreshWith,
  registerClient,
  responseParams,
  startOAuth2Portico,
  type TestClient,
} from "@/tests/oauth2/support.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { freePorts } from "@/tests/support/ports.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";
import { restartedPortico } from "@/tests/support/started.ts";

const B = "rotated-system-secret-abcdefghijklmnop";
const SET = "rotation-test-set";

function adminCall(portico: Portico, path: string, init: { method?: string; json?: unknown } = {}) {
  return fetch(`${portico.adminUrl}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: init.json === undefined ? {} : { "content-type": "application/json" },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
}

/** A code (openid offline) through the test consent app, not yet exchanged. */
async function codeFor(portico: Portico, client: TestClient): Promise<string> {
  const { response } = await authorizeThrough(portico, await ConsentApp.for(portico), new Browser(), {
    client_id: client.id,
    redirect_uri: client.redirectUri,
    response_type: "code",
    scope: "openid offline",
    state: randomValue(),
  });
  const code = responseParams(response, "query").get("code");
  assert.ok(code);
  return code;
}

const kidOf = (idToken: unknown) => decodeProtectedHeader(idToken as string).kid;

for (const backend of BACKENDS) {
  describe(`SYSTEM_SECRET rotation (${backend})`, () => {
    const suite = restartedPortico(backend);

    test("with the old secret in SYSTEM_SECRET_PREVIOUS, keys are re-encrypted and refresh tokens survive; then the old secret can go", async () => {
      const url = await suite.database();
      const start = (env: Record<string, string>) =>
        suite.keep(startOAuth2Portico({ backend, databaseUrl: url, env }));

      // Under A: a client, an offline grant (ID token signed by the generated key), and a key set of our own.
      let portico = await start({});
      const rp = await registerClient(portico, REFRESHING_CLIENT);
      const first = await offlineTokens(portico, rp);
      const refreshed = await refreshWith(portico, rp, first.refresh_token);
      assert.equal(refreshed.status, 200, refreshed.text);
      const signingKid = kidOf(refreshed.json.id_token);
      const refreshToken = refreshed.json.refresh_token as string;
      const accessToken = refreshed.json.access_token as string;
      const code = await codeFor(portico, rp);
      const created = await adminCall(portico, `/admin/keys/${SET}`, {
        json: { alg: "RS256", kid: "mine", use: "sig" },
      });
      assert.equal(created.status, 201, await created.clone().text());
      const keySet = await (await adminCall(portico, `/admin/keys/${SET}`)).json();
      await portico.stop();

      // B, with A as previous: the keys are read with A and written under B, in one go, said in the log.
      portico = await start({ SYSTEM_SECRET: B, SYSTEM_SECRET_PREVIOUS: A });
      assert.match(portico.output(), /re-encrypted stored keys under the current SYSTEM_SECRET/);
      assert.doesNotMatch(portico.output(), /cannot be decrypted|neither SYSTEM_SECRET/);
      for (const secret of [A, B]) assert.ok(!portico.output().includes(secret), "no secret in the log");
      const readAgain = await adminCall(portico, `/admin/keys/${SET}`);
      assert.equal(readAgain.status, 200);
      assert.deepEqual(await readAgain.json(), keySet);
      // The refresh token issued under A refreshes; the same key signs the ID token.
      const underB = await refreshWith(portico, rp, refreshToken);
      assert.equal(underB.status, 200, underB.text);
      assert.equal(kidOf(underB.json.id_token), signingKid);
      // An access token issued under A has ended (documented): inactive, not an error.
      assert.equal(await isActive(portico, rp, accessToken), false);
      const userinfo = await portico.call("/userinfo", { token: accessToken });
      assert.equal(userinfo.status, 401);
      // So has a code issued under A: invalid_grant, not an error.
      const exchanged = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, redirect_uri: rp.redirectUri },
        credentialsOf(rp),
      );
      assert.equal(exchanged.status, 400, exchanged.text);
      assert.equal(exchanged.json.error, "invalid_grant");
      // What was issued under B is active.
      assert.equal(await isActive(portico, rp, underB.json.access_token as string), true);
      await portico.stop();

      // B alone: nothing needs A any more.
      portico = await start({ SYSTEM_SECRET: B });
      assert.doesNotMatch(portico.output(), /cannot be decrypted|re-encrypted/);
      assert.deepEqual(await (await adminCall(portico, `/admin/keys/${SET}`)).json(), keySet);
      const afterwards = await refreshWith(portico, rp, underB.json.refresh_token as string);
      assert.equal(afterwards.status, 200, afterwards.text);
      assert.equal(kidOf(afterwards.json.id_token), signingKid);
      // A refresh token that only A hashed is not found without A: invalid_grant, not a 5xx.
      await portico.stop();
    });

    test("B alone on keys stored under A: reading them is a 500 that says what to do, one log line without a stack", async () => {
      const own = await suite.database();
      const first = await suite.keep(startOAuth2Portico({ backend, databaseUrl: own }));
      const created = await adminCall(first, `/admin/keys/${SET}`, {
        json: { alg: "RS256", kid: "mine", use: "sig" },
      });
      assert.equal(created.status, 201);
      await first.stop();
      const portico = await suite.keep(
        startOAuth2Portico({ backend, databaseUrl: own, env: { SYSTEM_SECRET: B } }),
      );
      assert.match(portico.output(), /cannot be decrypted: was SYSTEM_SECRET changed/);
      for (const path of [`/admin/keys/${SET}`, `/admin/keys/${SET}/mine`]) {
        const refused = await adminCall(portico, path);
        assert.equal(refused.status, 500);
        const body = (await refused.json()) as { error_description: string };
        assert.match(
          body.error_description,
          new RegExp(`${SET}/mine cannot be decrypted .*SYSTEM_SECRET_PREVIOUS`),
        );
      }
      const token = await portico.rootToken("hydra.keys.get");
      const legacy = await portico.call(`/keys/${SET}`, { token });
      assert.equal(legacy.status, 500);
      assert.match(
        ((await legacy.json()) as { error: { message: string } }).error.message,
        /cannot be decrypted with the configured SYSTEM_SECRET/,
      );
      const line = portico
        .output()
        .split("\n")
        .find((entry) => entry.includes("a stored key cannot be decrypted"));
      assert.ok(line?.includes(`"key":"${SET}/mine"`), `one line naming the key: ${line}`);
      assert.doesNotMatch(portico.output(), /"stack"/);
      for (const secret of [A, B]) assert.ok(!portico.output().includes(secret));
      await portico.stop();
    });

    test("without SYSTEM_SECRET_PREVIOUS, a refresh token issued under the old secret is invalid_grant (400)", async () => {
      const own = await suite.database();
      const first = await suite.keep(startOAuth2Portico({ backend, databaseUrl: own }));
      const rp = await registerClient(first, REFRESHING_CLIENT);
      const tokens = await offlineTokens(first, rp);
      await first.stop();
      // The operator rotated both ways in turn: B with A previous (keys now under B), then B alone.
      const rotating = await suite.keep(
        startOAuth2Portico({
          backend,
          databaseUrl: own,
          env: { SYSTEM_SECRET: B, SYSTEM_SECRET_PREVIOUS: A },
        }),
      );
      await rotating.stop();
      const portico = await suite.keep(
        startOAuth2Portico({ backend, databaseUrl: own, env: { SYSTEM_SECRET: B } }),
      );
      const refused = await refreshWith(portico, rp, tokens.refresh_token);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json.error, "invalid_grant");
      assert.equal(await isActive(portico, rp, tokens.access_token), false);
      await portico.stop();
    });
  });
}

/** Starts the server from source with only `env` and PATH until it exits: its exit code and stderr. */
async function startRefused(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const child = spawn(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), join(process.cwd(), "server/main.ts")],
    {
      env: {
        PATH: process.env.PATH,
        TSX_TSCONFIG_PATH: join(process.cwd(), "tsconfig.json"),
        BCRYPT_COST: "4",
        WORKERS: "1",
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        DATABASE_URL: `file:${join(tmpdir(), `portico-refused-${process.pid}.db`)}`,
        ...env,
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  // A server that starts after all is stopped, so that the test fails instead of waiting.
  const seen = (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.includes("is listening")) child.kill("SIGTERM");
  };
  child.stderr?.on("data", seen);
  child.stdout?.on("data", seen);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stderr };
}

describe("SYSTEM_SECRET_PREVIOUS that cannot be right: no start, one line, no secret", () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      "the current secret again",
      { SYSTEM_SECRET: B, SYSTEM_SECRET_PREVIOUS: `${A},${B}` },
      /SYSTEM_SECRET_PREVIOUS must not hold the current SYSTEM_SECRET/,
    ],
    [
      "a secret too short",
      { SYSTEM_SECRET: B, SYSTEM_SECRET_PREVIOUS: `${A},tooshort-secret` },
      /SYSTEM_SECRET_PREVIOUS: secret number 2 must be at least 16 characters/,
    ],
    [
      "a cookie secret too short",
      { SYSTEM_SECRET: B, COOKIE_SECRET_PREVIOUS: "short-cookie-secret" },
      /COOKIE_SECRET_PREVIOUS: secret number 1 must be at least 32 characters/,
    ],
  ];
  for (const [name, env, reason] of cases) {
    test(name, async () => {
      const { code, stderr } = await startRefused(env);
      assert.notEqual(code, 0);
      const lines = stderr
        .trim()
        .split("\n")
        .filter((line) => !line.includes("next.config"));
      assert.equal(lines.length, 1, `one line expected:\n${stderr}`);
      assert.match(lines[0] as string, reason);
      assert.doesNotMatch(stderr, /\n\s+at |"stack"/);
      for (const secret of [A, B, "tooshort-secret", "short-cookie-secret"])
        assert.ok(!stderr.includes(secret), "no secret in the message");
    });
  }
});

/**
 * The pages' session cookie (sealed with COOKIE_SECRET, derived from
 * SYSTEM_SECRET when unset) across the same rotation, through the compiled
 * server (`npm run build` first): a person signed in under the old secret
 * stays signed in while it is in SYSTEM_SECRET_PREVIOUS, their cookie sealed
 * again with the new one on their next visit; a cookie never brought back
 * during the transition is, once the old secret is gone, a signed-out visitor
 * (a 307 to sign in), never an error.
 */
for (const backend of BACKENDS) {
  describe(`the session cookie across a SYSTEM_SECRET rotation (${backend})`, { timeout: 300_000 }, () => {
    const suite = restartedPortico(backend);

    test("signed in under A: still signed in under B with A previous, and under B alone once visited", async () => {
      const url = await suite.database();
      const start = (env: Record<string, string>) =>
        suite.keep(startPortico({ backend, databaseUrl: url, compiled: true, env }));
      const email = "rotated-cookie@example.com";
      const password = "a long passphrase to keep";
      let portico = await start({ SYSTEM_SECRET: A });
      const db = createDatabase(url);
      try {
        await new UserStore(db).create({ email, password, name: "Rho Tate" });
      } finally {
        await db.$disconnect();
      }
      const signIn = async () => {
        const browser = new PageClient(portico.url, portico.url);
        const login = await browser.follow(await browser.get("/login"));
        const signedIn = await browser.submit(login.url ?? "/login", login.body, { email, password });
        assert.equal(signedIn.status, 303, signedIn.body.slice(0, 500));
        return browser;
      };
      const visiting = await signIn();
      const away = await signIn();
      assert.equal((await visiting.get("/account")).status, 200);
      const cookieName = "portico-session";
      const sealedUnderA = visiting.cookie(cookieName);
      await portico.stop();

      const moved = (browser: PageClient) => {
        browser.base = portico.url;
      };
      portico = await start({ SYSTEM_SECRET: B, SYSTEM_SECRET_PREVIOUS: A });
      moved(visiting);
      const during = await visiting.get("/account");
      assert.equal(during.status, 200, "still signed in");
      assert.ok(
        during.cookies.some((line) => line.startsWith(`${cookieName}=`)),
        "the cookie is sealed again",
      );
      assert.notEqual(visiting.cookie(cookieName), sealedUnderA);
      await portico.stop();

      portico = await start({ SYSTEM_SECRET: B });
      moved(visiting);
      moved(away);
      assert.equal((await visiting.get("/account")).status, 200, "the re-sealed cookie opens with B alone");
      const signedOut = await away.get("/account");
      assert.equal(signedOut.status, 307, "a cookie only A opens: signed out, not an error");
      await portico.stop();
    });
  });
}

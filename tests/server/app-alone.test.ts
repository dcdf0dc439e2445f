/**
 * The login & consent app alone: a Portico whose HYDRA_URL is another server
 * serves its pages and nothing else — no root, demo or consent client, no
 * ID-token keys, no printed secret, no API, OAuth 2.0 / OpenID Connect
 * endpoints or discovery (a plain 404), no admin listener — while a person
 * signs in and consents on its pages for a flow of that other server (here a
 * second, full Portico). Its users live in its own database.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { appAloneAgainst, loadConfig } from "@/server/config/config.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { freePort } from "@/tests/support/ports.ts";
import { BACKENDS, basicAuth, type Portico, startPortico } from "@/tests/support/server.ts";

const SYSTEM_SECRET = "test-system-secret-0123456789";

describe("the app-alone rule (server/config/config.ts)", () => {
  const base = {
    SYSTEM_SECRET,
    SMTP_URL: "log",
    PORT: "3000",
    ADMIN_PORT: "3001",
    ISSUER: "https://login.example.com",
  };
  const alone = (env: Record<string, string>) => loadConfig({ ...base, ...env }).appAlone;

  test("HYDRA_URL unset, ISSUER's origin or this process's own listener: the embedded server runs", () => {
    assert.equal(alone({}), undefined);
    assert.equal(alone({ HYDRA_URL: "https://login.example.com" }), undefined);
    assert.equal(alone({ HYDRA_URL: "https://login.example.com/some/path" }), undefined);
    assert.equal(alone({ HYDRA_URL: "http://127.0.0.1:3000" }), undefined);
    assert.equal(alone({ HYDRA_URL: "http://localhost:3000" }), undefined);
    assert.equal(alone({ HYDRA_URL: "http://[::1]:3000" }), undefined);
    assert.equal(alone({ HYDRA_URL: "http://10.0.0.5:3000", HOST: "10.0.0.5" }), undefined);
    // HYDRA_ADMIN_URL on this process's admin listener: its Hydra 2.x face is in use.
    assert.equal(
      alone({ HYDRA_URL: "https://hydra.example.com", HYDRA_ADMIN_URL: "http://127.0.0.1:3001" }),
      undefined,
    );
  });

  test("HYDRA_URL another server (and HYDRA_ADMIN_URL, when set, too): the app alone, against its origin", () => {
    assert.equal(alone({ HYDRA_URL: "https://hydra.example.com/" }), "https://hydra.example.com");
    assert.equal(alone({ HYDRA_URL: "http://127.0.0.1:4444" }), "http://127.0.0.1:4444");
    assert.equal(alone({ HYDRA_URL: "https://127.0.0.1:3000" }), "https://127.0.0.1:3000");
    assert.equal(alone({ HYDRA_URL: "http://127.0.0.1:3000", HOST: "10.0.0.5" }), "http://127.0.0.1:3000");
    assert.equal(
      alone({ HYDRA_URL: "https://hydra.example.com", HYDRA_ADMIN_URL: "http://hydra-admin:4445" }),
      "https://hydra.example.com",
    );
    // A random port (PORT=0) is no URL's.
    assert.equal(alone({ HYDRA_URL: "http://127.0.0.1:3000", PORT: "0" }), "http://127.0.0.1:3000");
    assert.equal(
      appAloneAgainst(
        {
          HYDRA_URL: "http://hydra:4444",
          HYDRA_ADMIN_URL: undefined,
          PORT: 3000,
          HOST: undefined,
          ADMIN_PORT: 3001,
          ADMIN_HOST: "127.0.0.1",
        },
        "http://localhost:3000",
      ),
      "http://hydra:4444",
    );
  });
});

/** Whether something accepts connections at a URL. */
async function listening(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

for (const backend of BACKENDS) {
  describe(`the login & consent app alone against another Portico (${backend})`, { timeout: 240_000 }, () => {
    let server: Portico;
    let app: Portico;
    let appIssuer: string;
    let appDb: Database;
    const redirectUri = "https://rp.example.test/cb";
    let rp: { id: string; secret: string };
    /** The person who signed in, and the refresh token the relying party got for them. */
    let signedInAs: { email: string; refreshToken: string } | undefined;

    before(async () => {
      const appPort = await freePort();
      // Another host name than the server's 127.0.0.1: each keeps its own cookies, as two sites do.
      appIssuer = `http://localhost:${appPort}`;
      // The full one: its flow sends browsers to the app's pages; its embedded consent client has
      // the credentials the app derives from the same SYSTEM_SECRET.
      server = await startPortico({
        backend,
        env: { CONSENT_URL: `${appIssuer}/consent`, LOGOUT_URL: `${appIssuer}/logout` },
      });
      // The app alone, on a database of its own; no FORCE_ROOT_CLIENT_CREDENTIALS, so a full start
      // would make a root client and print its secret.
      app = await startPortico({
        backend,
        compiled: true,
        port: appPort,
        env: { ISSUER: appIssuer, HYDRA_URL: server.url, PORTICO_DEMO: "1" },
        unset: ["FORCE_ROOT_CLIENT_CREDENTIALS"],
      });
      appDb = createDatabase(app.databaseUrl);
      const created = await server.call("/clients", {
        token: await server.rootToken("hydra.clients"),
        json: {
          client_name: "Relying party",
          redirect_uris: [redirectUri],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid offline email",
        },
      });
      assert.equal(created.status, 201, await created.clone().text());
      const body = (await created.json()) as { id: string; client_secret: string };
      rp = { id: body.id, secret: body.client_secret };
    });

    after(async () => {
      await appDb?.$disconnect();
      await app?.stop();
      await server?.stop();
    });

    test("a sign-in and consent on the app's pages completes the other server's code flow", async () => {
      const email = `ann-${backend}@example.com`;
      const password = "a long passphrase for the app alone";
      // The person lives in the app's database, not the server's.
      await new UserStore(appDb).create({ email, password, name: "Ann Alone" });
      const atServer = new PageClient(server.url, server.url);
      const atApp = new PageClient(app.url, appIssuer);
      const auth = new URLSearchParams({
        client_id: rp.id,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid offline email",
        state: "state-of-the-rp",
        nonce: "nonce-of-the-rp",
      });
      const started = await atServer.get(`/oauth2/auth?${auth}`);
      assert.equal(started.status, 302, started.body);
      assert.ok(started.location?.startsWith(`${appIssuer}/consent?`), `to the app: ${started.location}`);

      const login = await atApp.follow(started);
      assert.equal(login.status, 200, `the sign-in page (${login.url}): ${login.body.slice(0, 500)}`);
      assert.ok(login.body.includes('name="password"'), "a sign-in form");
      const signedIn = await atApp.submit(login.url as string, login.body, { email, password });
      assert.equal(signedIn.status, 303, `the sign-in answer: ${signedIn.body.slice(0, 500)}`);
      const ask = await atApp.follow(signedIn);
      assert.equal(ask.status, 200, `the consent screen (${ask.url}): ${ask.body.slice(0, 500)}`);
      const allowed = await atApp.submit(ask.url as string, ask.body, {
        decision: "allow",
        scope: ["openid", "offline", "email"],
      });
      assert.equal(allowed.status, 303, `the consent answer: ${allowed.body.slice(0, 500)}`);
      assert.ok(
        allowed.location?.startsWith(`${server.url}/oauth2/auth?`),
        `back to the server: ${allowed.location}`,
      );

      const back = await atServer.follow(await atServer.get(allowed.location as string));
      assert.ok(back.url?.startsWith(`${redirectUri}?`), `back at the client: ${back.url}`);
      const callback = new URL(back.url as string).searchParams;
      assert.equal(callback.get("state"), "state-of-the-rp");
      const code = callback.get("code");
      assert.ok(code, `a code: ${back.url}`);

      const token = await fetch(`${server.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: basicAuth(rp.id, rp.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri }),
      });
      assert.equal(token.status, 200, await token.clone().text());
      const tokens = (await token.json()) as {
        access_token?: string;
        id_token?: string;
        refresh_token?: string;
      };
      assert.ok(tokens.access_token && tokens.id_token && tokens.refresh_token, JSON.stringify(tokens));
      const claims = JSON.parse(
        Buffer.from((tokens.id_token as string).split(".")[1] as string, "base64url").toString(),
      ) as { iss: string; email?: string; nonce?: string };
      assert.equal(claims.iss, server.url);
      assert.equal(claims.email, email);
      assert.equal(claims.nonce, "nonce-of-the-rp");
      signedInAs = { email, refreshToken: tokens.refresh_token as string };
    });

    test("its API, OAuth 2.0 / OpenID Connect paths and discovery are a plain 404 naming the server", async () => {
      const paths: [string, string][] = [
        ["GET", "/.well-known/openid-configuration"],
        ["GET", "/.well-known/jwks.json"],
        ["GET", `/oauth2/auth?client_id=x&response_type=code`],
        ["POST", "/oauth2/token"],
        ["POST", "/oauth2/introspect"],
        ["GET", "/oauth2/sessions/logout"],
        ["GET", "/userinfo"],
        ["GET", "/clients"],
        ["GET", "/keys/hydra.openid.id-token/public"],
        ["GET", "/policies"],
        ["POST", "/warden/token/allowed"],
        ["GET", "/health/stats"],
        ["GET", "/admin/clients"],
      ];
      for (const [method, path] of paths) {
        const response = await fetch(`${app.url}${path}`, {
          method,
          headers: { authorization: basicAuth("root", "whatever") },
          redirect: "manual",
        });
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
        assert.equal(
          await response.text(),
          `Not found. This Portico runs only the login & consent app; its authorization server is ${server.url}.\n`,
          `${method} ${path}`,
        );
      }
      // The probes of a load balancer still find it up.
      const health = await fetch(`${app.url}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
    });

    test("no client, key or policy in its database, no secret in its log, no admin listener", async () => {
      assert.equal(await appDb.oAuth2Client.count(), 0, "no root, demo or consent client");
      assert.equal(await appDb.jsonWebKey.count(), 0, "no ID-token keys");
      assert.equal(await appDb.policy.count(), 0, "no policies");
      const output = app.output();
      assert.doesNotMatch(output, /client secret|root client/i, output);
      assert.match(output, new RegExp(`runs alone against ${server.url.replaceAll(".", "\\.")}`), output);
      assert.doesNotMatch(output, /admin API is listening/, output);
      assert.equal(await listening(app.adminUrl), false, `nothing at ${app.adminUrl}`);
      // The full server, by contrast, has its admin listener.
      assert.equal(await listening(server.adminUrl), true);
    });

    test("the users CLI deletes a person of the app's database and tells the other server (HYDRA_URL)", async () => {
      assert.ok(signedInAs, "the sign-in test ran first");
      const deleted = spawnSync(
        process.execPath,
        ["--import", "tsx", "scripts/users.ts", "delete", "--email", signedInAs.email],
        {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            NODE_ENV: "production",
            DATABASE_URL: app.databaseUrl,
            ISSUER: appIssuer,
            HYDRA_URL: server.url,
            SYSTEM_SECRET,
          },
          encoding: "utf8",
        },
      );
      assert.equal(deleted.status, 0, `${deleted.stdout}\n${deleted.stderr}`);
      assert.equal(await new UserStore(appDb).findByEmail(signedInAs.email), null);
      // The other server revoked what the person granted: the relying party's refresh token is dead.
      const refreshed = await fetch(`${server.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: basicAuth(rp.id, rp.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: signedInAs.refreshToken }),
      });
      assert.equal(refreshed.status, 400, await refreshed.clone().text());
    });
  });
}

describe("the app alone with several workers, its server not even up yet (sqlite)", {
  timeout: 180_000,
}, () => {
  let app: Portico;
  const against = "http://127.0.0.1:9";

  before(async () => {
    app = await startPortico({
      compiled: true,
      env: { HYDRA_URL: against, WORKERS: "2" },
      unset: ["FORCE_ROOT_CLIENT_CREDENTIALS"],
    });
  });
  after(async () => {
    await app?.stop();
  });

  test("every worker serves the pages only: no discovery, no admin listener, no secret", async () => {
    for (let i = 0; i < 4; i++) {
      const discovery = await fetch(`${app.url}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 404);
      assert.match(await discovery.text(), /its authorization server is http:\/\/127\.0\.0\.1:9\.\n$/);
    }
    assert.equal((await fetch(`${app.url}/login`)).status, 200);
    assert.equal(await listening(app.adminUrl), false);
    const output = app.output();
    assert.doesNotMatch(output, /client secret|root client|admin API is listening/i, output);
    assert.match(output, /runs alone against http:\/\/127\.0\.0\.1:9:/, output);
  });
});

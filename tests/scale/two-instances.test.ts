/**
 * Scale-out: two Portico instances on ONE PostgreSQL database, as two
 * stateless instances behind a load balancer. Both have the same public
 * ISSUER, SYSTEM_SECRET and root credentials; every request below picks an
 * instance explicitly, and everything written through one must hold at once
 * on the other — clients, secrets, policies, flow state, codes, revocation.
 *
 * Runs only when TEST_POSTGRES_URL is set (CI sets it).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";

if (!process.env.TEST_POSTGRES_URL) {
  process.stderr.write("# tests/scale/two-instances: TEST_POSTGRES_URL is not set; skipped\n");
} else {
  const { createLocalJWKSet, jwtVerify } = await import("jose");
  const { authorizationCodeFlow, basicAuth } = await import("@/bench/lib/flow.ts");
  const { freshDatabase, startPortico } = await import("@/tests/support/server.ts");
  type Portico = Awaited<ReturnType<typeof startPortico>>;

  /** The public URL of the pair, as a load balancer in front of both would have it. */
  const ISSUER = "http://portico.test";
  const root = { id: "scale-root", secret: randomBytes(18).toString("base64url") };
  const env = {
    ISSUER,
    SYSTEM_SECRET: "two-instances-system-secret-0123456789",
    FORCE_ROOT_CLIENT_CREDENTIALS: `${root.id}:${root.secret}`,
    WORKERS: "1",
  };

  describe("two Portico instances on one PostgreSQL database", { timeout: 240_000 }, () => {
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    let a: Portico;
    let b: Portico;

    before(async () => {
      database = await freshDatabase("postgresql");
      a = await startPortico({ databaseUrl: database.url, env });
      // The second start migrates and bootstraps the same database again.
      b = await startPortico({ databaseUrl: database.url, env });
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await database?.drop();
    });

    const rootToken = (instance: Portico, scope: string) => instance.tokenFor(root.id, root.secret, scope);

    async function form(instance: Portico, path: string, auth: string, fields: Record<string, string>) {
      const response = await fetch(`${instance.url}${path}`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    }

    async function createClient(instance: Portico, client: Record<string, unknown>): Promise<void> {
      const response = await instance.call("/clients", {
        token: await rootToken(instance, "hydra.clients"),
        json: client,
      });
      assert.equal(response.status, 201, await response.text());
    }

    test("the second bootstrap kept the first one's root client and ID-token key", async () => {
      for (const instance of [a, b]) {
        const token = await rootToken(instance, "hydra.clients");
        const response = await instance.call(`/clients/${root.id}`, { token });
        assert.equal(response.status, 200);
      }
      const [keysA, keysB] = await Promise.all(
        [a, b].map(async (instance) => {
          const response = await instance.call("/keys/hydra.openid.id-token/public");
          assert.equal(response.status, 200);
          return response.json();
        }),
      );
      assert.deepEqual(keysA, keysB);
    });

    test("a client created on A is usable at once on B, and a new secret replaces the old one on both", async () => {
      const secret = "scale-machine-secret-0123456789";
      await createClient(a, {
        id: "scale-machine",
        client_name: "scale machine",
        client_secret: secret,
        grant_types: ["client_credentials"],
        scope: "read",
      });
      const issued = await form(b, "/oauth2/token", basicAuth("scale-machine", secret), {
        grant_type: "client_credentials",
      });
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const read = await b.call("/clients/scale-machine", { token: await rootToken(a, "hydra.clients") });
      assert.equal(read.status, 200, "a token issued by A works on B");
      assert.equal(((await read.json()) as { client_name: string }).client_name, "scale machine");

      // Both instances have verified (and may remember) the old secret; A changes it.
      assert.equal(
        (
          await form(a, "/oauth2/token", basicAuth("scale-machine", secret), {
            grant_type: "client_credentials",
          })
        ).status,
        200,
      );
      const newSecret = "scale-machine-rotated-0123456789";
      const updated = await a.call("/clients/scale-machine", {
        method: "PUT",
        token: await rootToken(a, "hydra.clients"),
        json: {
          id: "scale-machine",
          client_name: "scale machine",
          client_secret: newSecret,
          grant_types: ["client_credentials"],
          scope: "read",
        },
      });
      assert.equal(updated.status, 200, await updated.text());
      for (const instance of [b, a]) {
        const old = await form(instance, "/oauth2/token", basicAuth("scale-machine", secret), {
          grant_type: "client_credentials",
        });
        assert.equal(old.status, 401, "the old secret is refused at once");
        const fresh = await form(instance, "/oauth2/token", basicAuth("scale-machine", newSecret), {
          grant_type: "client_credentials",
        });
        assert.equal(fresh.status, 200);
      }
    });

    test("a policy written on A applies at once on B, and its removal on B at once on A", async () => {
      const secret = "scale-reader-secret-0123456789";
      await createClient(a, {
        id: "scale-reader",
        client_secret: secret,
        grant_types: ["client_credentials"],
        scope: "hydra.clients",
      });
      const readerToken = await b.tokenFor("scale-reader", secret, "hydra.clients");
      const readOn = (instance: Portico) => instance.call(`/clients/${root.id}`, { token: readerToken });
      // Both instances answer (and may cache) "no policy" first.
      assert.equal((await readOn(a)).status, 403);
      assert.equal((await readOn(b)).status, 403);

      const policy = {
        id: "scale-reader-may-get-clients",
        description: "written on A, read on B",
        subjects: ["scale-reader"],
        resources: ["rn:hydra:clients:<.*>"],
        actions: ["get"],
        effect: "allow",
        conditions: {},
      };
      const created = await a.call("/policies", {
        token: await rootToken(a, "hydra.policies"),
        json: policy,
      });
      assert.equal(created.status, 201, await created.text());
      assert.equal((await readOn(b)).status, 200, "B applies A's new policy at once");
      assert.equal((await readOn(a)).status, 200);

      const removed = await b.call(`/policies/${policy.id}`, {
        method: "DELETE",
        token: await rootToken(b, "hydra.policies"),
      });
      assert.equal(removed.status, 204);
      assert.equal((await readOn(a)).status, 403, "A drops B's removed policy at once");
      assert.equal((await readOn(b)).status, 403);
    });

    const web = {
      id: "scale-web",
      secret: "scale-web-secret-0123456789abcdef",
      redirectUri: "https://client.example/callback",
      scope: "openid offline",
    };

    async function ensureWebClient(): Promise<void> {
      const token = await rootToken(a, "hydra.clients");
      if ((await b.call(`/clients/${web.id}`, { token })).status === 200) return;
      await createClient(a, {
        id: web.id,
        client_name: "scale web app",
        client_secret: web.secret,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: [web.redirectUri],
        scope: web.scope,
      });
    }

    const introspect = async (instance: Portico, token: string) =>
      (await form(instance, "/oauth2/introspect", basicAuth(web.id, web.secret), { token })).body;

    test("auth on A, consent on B, back on A, token on B; revoked through B, inactive through A at once", async () => {
      await ensureWebClient();
      const flow = await authorizationCodeFlow({
        client: web,
        consentToken: await rootToken(b, "hydra.consent"),
        subject: "user-1",
        accessTokenExtra: { via: "two-instances" },
        routes: { auth: a.url, consent: b.url, callback: a.url, token: b.url },
      });
      const { tokens } = flow;
      assert.ok(tokens.access_token);
      assert.ok(tokens.id_token, "scope openid gives an ID token");

      // B signed the ID token; A publishes the key that verifies it.
      const keys = await (await a.call("/keys/hydra.openid.id-token/public")).json();
      const { payload, protectedHeader } = await jwtVerify(
        tokens.id_token as string,
        createLocalJWKSet(keys as Parameters<typeof createLocalJWKSet>[0]),
        { issuer: ISSUER, audience: web.id },
      );
      assert.equal(protectedHeader.alg, "RS256");
      assert.equal(payload.sub, "user-1");
      assert.equal(payload.nonce, flow.nonce);

      const before = await introspect(a, tokens.access_token);
      assert.equal(before.active, true, JSON.stringify(before));
      assert.equal(before.sub, "user-1");
      assert.equal(before.client_id, web.id);
      assert.equal(before.iss, ISSUER);
      assert.deepEqual(before.ext, { via: "two-instances" });

      const revoked = await form(b, "/oauth2/revoke", basicAuth(web.id, web.secret), {
        token: tokens.access_token,
      });
      assert.equal(revoked.status, 200);
      assert.equal((await introspect(a, tokens.access_token)).active, false, "inactive on A at once");
      assert.equal((await introspect(b, tokens.access_token)).active, false);
    });

    test("auth and consent on A, back on B with A's cookie, token on A; the code replayed on B revokes what it issued", async () => {
      await ensureWebClient();
      const flow = await authorizationCodeFlow({
        client: web,
        consentToken: await rootToken(a, "hydra.consent"),
        subject: "user-2",
        routes: { auth: a.url, consent: a.url, callback: b.url, token: a.url },
      });
      const { tokens } = flow;
      assert.equal((await introspect(b, tokens.access_token)).active, true);

      const replay = await form(b, "/oauth2/token", basicAuth(web.id, web.secret), {
        grant_type: "authorization_code",
        code: flow.code,
        redirect_uri: web.redirectUri,
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, "invalid_grant");
      assert.equal((await introspect(a, tokens.access_token)).active, false, "the replay revoked the token");
      assert.ok(tokens.refresh_token, "scope offline gives a refresh token");
      const refreshed = await form(a, "/oauth2/token", basicAuth(web.id, web.secret), {
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
      });
      assert.equal(refreshed.status, 400, "the replay revoked the refresh token too");
      assert.equal(refreshed.body.error, "invalid_grant");
    });

    test("a consent request made on A cannot be completed on B without A's binding cookie", async () => {
      await ensureWebClient();
      // A request on A, accepted on B, followed on B by a browser that never had A's cookie.
      const auth = await fetch(
        `${a.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: web.id,
          redirect_uri: web.redirectUri,
          scope: "openid",
          state: "state-without-cookie",
          nonce: "nonce-without-cookie",
        })}`,
        { redirect: "manual" },
      );
      assert.equal(auth.status, 302);
      const id = new URL(auth.headers.get("location") ?? "", ISSUER).searchParams.get("consent") ?? "";
      const consentToken = await rootToken(b, "hydra.consent");
      const request = (await (
        await b.call(`/oauth2/consent/requests/${id}`, { token: consentToken })
      ).json()) as { redirectUrl: string };
      const accepted = await b.call(`/oauth2/consent/requests/${id}/accept`, {
        method: "PATCH",
        token: consentToken,
        json: { subject: "user-3", grantScopes: ["openid"] },
      });
      assert.equal(accepted.status, 204);
      const target = new URL(request.redirectUrl);
      const stolen = await fetch(`${b.url}${target.pathname}${target.search}`, { redirect: "manual" });
      const location = stolen.headers.get("location") ?? "";
      assert.ok(!/[?&#]code=/.test(location), `no code without the binding cookie (got ${location})`);
      assert.ok(
        stolen.status >= 400 || /[?&#]error=/.test(location),
        `refused without the binding cookie (got ${stolen.status} ${location})`,
      );
    });
  });
}

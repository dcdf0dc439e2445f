import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Portico } from "@/tests/support/server.ts";
import { BACKENDS } from "@/tests/support/server.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  credentialsOf,
  postForm,
  randomValue,
  registerClient,
  responseParams,
  startOAuth2Portico,
  type TestClient,
} from "./support.ts";

/** A code flow for `subject` with `openid offline`, then the code exchanged: the tokens. */
async function signIn(portico: Portico, consentApp: ConsentApp, client: TestClient, subject: string) {
  const { response } = await authorizeThrough(
    portico,
    consentApp,
    new Browser(),
    {
      response_type: "code",
      client_id: client.id,
      redirect_uri: client.redirectUri,
      scope: "openid offline",
      state: randomValue(),
    },
    { subject },
  );
  const code = responseParams(response, "query").get("code") ?? "";
  const tokens = await postForm(
    portico,
    "/oauth2/token",
    { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
    credentialsOf(client),
  );
  assert.equal(tokens.status, 200, tokens.text);
  return tokens.json as { access_token: string; refresh_token: string };
}

async function refresh(portico: Portico, client: TestClient, refreshToken: string) {
  return postForm(
    portico,
    "/oauth2/token",
    { grant_type: "refresh_token", refresh_token: refreshToken },
    credentialsOf(client),
  );
}

async function active(portico: Portico, client: TestClient, token: string): Promise<boolean> {
  const result = await postForm(portico, "/oauth2/introspect", { token }, credentialsOf(client));
  assert.equal(result.status, 200, result.text);
  return result.json.active === true;
}

for (const backend of BACKENDS) {
  describe(`a person's grants through the admin API (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let alpha: TestClient;
    let beta: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      const fields = { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] };
      alpha = await registerClient(portico, { ...fields, client_name: "Alpha" });
      beta = await registerClient(portico, { ...fields, client_name: "Beta" });
    });
    after(() => portico.stop());

    const grantsOf = async (subject: string) => {
      const response = await portico.call(`/oauth2/auth/sessions/consent/${subject}`, {
        token: consentApp.token,
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as Array<{ client_id: string; scope: string; granted_at: string }>;
    };

    test("the consent app lists every client holding live tokens of a person, with scopes and time", async () => {
      const subject = `ann-${randomValue()}`;
      assert.deepEqual(await grantsOf(subject), []);
      const before = Date.now() - 1000;
      await signIn(portico, consentApp, alpha, subject);
      await signIn(portico, consentApp, beta, subject);
      await signIn(portico, consentApp, alpha, `someone-else-${randomValue()}`);
      const listed = await grantsOf(subject);
      assert.deepEqual(
        listed.map((g) => [g.client_id, g.scope]),
        [
          [alpha.id, "openid offline"],
          [beta.id, "openid offline"],
        ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
      );
      for (const grant of listed) {
        assert.ok(Date.parse(grant.granted_at) >= before && Date.parse(grant.granted_at) <= Date.now());
      }
    });

    test("revoking one client: its tokens die at once (introspection, refresh), the other's live", async () => {
      const subject = `bob-${randomValue()}`;
      const a = await signIn(portico, consentApp, alpha, subject);
      const b = await signIn(portico, consentApp, beta, subject);
      const revoked = await portico.call(`/oauth2/auth/sessions/consent/${subject}/${alpha.id}`, {
        method: "DELETE",
        token: consentApp.token,
      });
      assert.equal(revoked.status, 204);

      assert.equal(await active(portico, alpha, a.access_token), false);
      const refused = await refresh(portico, alpha, a.refresh_token);
      assert.equal(refused.status, 400);
      assert.equal(refused.json.error, "invalid_grant");

      assert.equal(await active(portico, beta, b.access_token), true);
      assert.equal((await refresh(portico, beta, b.refresh_token)).status, 200);
      assert.deepEqual(
        (await grantsOf(subject)).map((g) => g.client_id),
        [beta.id],
      );
    });

    test("revoking every client of a person", async () => {
      const subject = `cat-${randomValue()}`;
      const a = await signIn(portico, consentApp, alpha, subject);
      const b = await signIn(portico, consentApp, beta, subject);
      const response = await portico.call(`/oauth2/auth/sessions/consent/${subject}`, {
        method: "DELETE",
        token: consentApp.token,
      });
      assert.equal(response.status, 204);
      assert.equal((await refresh(portico, alpha, a.refresh_token)).json.error, "invalid_grant");
      assert.equal((await refresh(portico, beta, b.refresh_token)).json.error, "invalid_grant");
      assert.equal(await active(portico, beta, b.access_token), false);
      assert.deepEqual(await grantsOf(subject), []);
    });

    test("a deleted person: every token revoked, and no later code exchange or refresh for them", async () => {
      const subject = `dan-${randomValue()}`;
      const tokens = await signIn(portico, consentApp, alpha, subject);
      // A code issued before the deletion and exchanged after it.
      const { response } = await authorizeThrough(
        portico,
        consentApp,
        new Browser(),
        {
          response_type: "code",
          client_id: beta.id,
          redirect_uri: beta.redirectUri,
          scope: "openid offline",
          state: randomValue(),
        },
        { subject },
      );
      const lateCode = responseParams(response, "query").get("code") ?? "";

      const deleted = await portico.call(`/oauth2/auth/subjects/${subject}`, {
        method: "DELETE",
        token: consentApp.token,
      });
      assert.equal(deleted.status, 204);
      assert.equal(await active(portico, alpha, tokens.access_token), false);
      const refused = await refresh(portico, alpha, tokens.refresh_token);
      assert.equal(refused.json.error, "invalid_grant");
      assert.doesNotMatch(refused.text, /id_token/);
      const exchange = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code: lateCode, redirect_uri: beta.redirectUri },
        credentialsOf(beta),
      );
      assert.equal(exchange.status, 400);
      assert.equal(exchange.json.error, "invalid_grant");

      // Even a grant made after the deletion (a stale consent app) never yields a code or a token.
      const { response: again } = await authorizeThrough(
        portico,
        consentApp,
        new Browser(),
        {
          response_type: "code",
          client_id: alpha.id,
          redirect_uri: alpha.redirectUri,
          scope: "openid offline",
          state: randomValue(),
        },
        { subject },
      );
      const late = responseParams(again, "query");
      assert.equal(late.get("error"), "access_denied");
      assert.equal(late.get("code"), null);
      // Deleting twice is harmless.
      const twice = await portico.call(`/oauth2/auth/subjects/${subject}`, {
        method: "DELETE",
        token: consentApp.token,
      });
      assert.equal(twice.status, 204);
    });

    test("the same person deleted by several callers at once (the app's outbox and its CLI): every one 204", async () => {
      for (let round = 0; round < 6; round++) {
        const subject = `eve-${randomValue()}`;
        const held = await Promise.all([
          signIn(portico, consentApp, alpha, subject),
          signIn(portico, consentApp, beta, subject),
          signIn(portico, consentApp, alpha, subject),
          signIn(portico, consentApp, beta, subject),
        ]);
        const deletions = await Promise.all(
          Array.from({ length: 4 }, () =>
            portico.call(`/oauth2/auth/subjects/${subject}`, { method: "DELETE", token: consentApp.token }),
          ),
        );
        for (const deleted of deletions) assert.equal(deleted.status, 204, await deleted.text());
        for (const tokens of held) assert.equal(await active(portico, alpha, tokens.access_token), false);
      }
    });

    test("the warden guards them: no token 401, another client 403, a bad subject 400", async () => {
      assert.equal((await portico.call("/oauth2/auth/sessions/consent/x")).status, 401);
      const other = await registerClient(portico, {
        grant_types: ["client_credentials"],
        scope: "hydra.consent",
      });
      const otherToken = await portico.tokenFor(other.id, other.secret!, "hydra.consent");
      for (const [method, path] of [
        ["GET", "/oauth2/auth/sessions/consent/x"],
        ["DELETE", "/oauth2/auth/sessions/consent/x"],
        ["DELETE", `/oauth2/auth/sessions/consent/x/${alpha.id}`],
        ["DELETE", "/oauth2/auth/subjects/x"],
      ] as const) {
        const response = await portico.call(path, { method, token: otherToken });
        assert.equal(response.status, 403, `${method} ${path}`);
      }
      const clientsOnly = await portico.tokenFor(
        "portico-consent-app",
        (await import("@/common/consent-client.ts")).embeddedConsentClientSecret(
          "oauth2-tests-system-secret-0123456789",
        ),
        "hydra.clients",
      );
      assert.equal(
        (await portico.call("/oauth2/auth/sessions/consent/x", { token: clientsOnly })).status,
        403,
        "needs hydra.consent",
      );
      const bad = await portico.call("/oauth2/auth/sessions/consent/a%E2%80%A8b", {
        token: consentApp.token,
      });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: { code: number } }).error.code, 400);
    });
  });
}

describe("refresh tokens expire by default", () => {
  test("REFRESH_TOKEN_LIFESPAN defaults to 720h", async () => {
    const { loadConfig } = await import("@/server/config/config.ts");
    assert.equal(
      loadConfig({ SYSTEM_SECRET: "a-system-secret-0123456789" }).refreshTokenLifespanMs,
      720 * 3_600_000,
    );
  });
});

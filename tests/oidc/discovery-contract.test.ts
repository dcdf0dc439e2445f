/**
 * What discovery promises, held against what the endpoints do, over real
 * HTTP on every backend: the introspection endpoint's one authentication
 * method works for every confidential client; with SIGNUP=closed
 * `prompt_values_supported` leaves out `create`; and in Hydra 2.x mode
 * (URLS_LOGIN) `prompt_values_supported` names only what that flow honours,
 * and a remembered login never answers prompt=login, max_age=0 or select_account.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { admin } from "@/tests/hydra2/support.ts";
import {
  Browser,
  ConsentApp,
  consentIdOf,
  postForm,
  registerClient,
  startOAuth2Portico,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";

interface Discovery {
  introspection_endpoint_auth_methods_supported: string[];
  prompt_values_supported: string[];
}

async function discovery(portico: Portico): Promise<Discovery> {
  return (await (await fetch(`${portico.url}/.well-known/openid-configuration`)).json()) as Discovery;
}

/** A client created on the Hydra 2.x admin API, with a secret of our choosing. */
async function createClient(portico: Portico, id: string, fields: Record<string, unknown>) {
  const secret = `${id}-secret-0123456789abcdefghij`;
  const created = await admin(portico, "/admin/clients", {
    json: { client_id: id, client_secret: secret, ...fields },
  });
  assert.equal(created.status, 201, await created.text());
  return { id, secret };
}

for (const backend of BACKENDS) {
  describe(`discovery and the endpoints (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
    });
    after(() => portico.stop());

    test("introspection: HTTP Basic, its one method, works for a client registered for client_secret_post", async () => {
      assert.deepEqual((await discovery(portico)).introspection_endpoint_auth_methods_supported, [
        "client_secret_basic",
      ]);
      const poster = await createClient(portico, "poster", {
        grant_types: ["client_credentials"],
        token_endpoint_auth_method: "client_secret_post",
        scope: "api",
      });
      const issued = await postForm(portico, "/oauth2/token", {
        grant_type: "client_credentials",
        client_id: poster.id,
        client_secret: poster.secret,
      });
      assert.equal(issued.status, 200, issued.text);
      const token = issued.json.access_token as string;

      const introspected = await postForm(portico, "/oauth2/introspect", { token }, poster);
      assert.equal(introspected.status, 200, introspected.text);
      assert.equal(introspected.json.active, true);
      assert.equal(introspected.json.client_id, poster.id);

      // Still authentication: a wrong secret is refused, and the token endpoint keeps the registered method.
      const wrong = await postForm(
        portico,
        "/oauth2/introspect",
        { token },
        { id: poster.id, secret: "not-the-secret-0123456789" },
      );
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get("www-authenticate"), 'Basic realm="portico"');
      const byBasic = await postForm(portico, "/oauth2/token", { grant_type: "client_credentials" }, poster);
      assert.equal(byBasic.status, 401);
      assert.equal(byBasic.json.error, "invalid_client");
    });

    test("prompt_values_supported lists create while sign-up is open (the default)", async () => {
      assert.deepEqual((await discovery(portico)).prompt_values_supported, [
        "none",
        "login",
        "consent",
        "select_account",
        "create",
      ]);
    });
  });

  describe(`discovery with sign-up closed, SIGNUP=closed (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { SIGNUP: "closed" } });
    });
    after(() => portico.stop());

    test("prompt_values_supported leaves out create; prompt=create is the sign-in step as usual", async () => {
      assert.deepEqual((await discovery(portico)).prompt_values_supported, [
        "none",
        "login",
        "consent",
        "select_account",
      ]);
      const consentApp = await ConsentApp.for(portico);
      const client = await registerClient(portico, { grant_types: ["authorization_code"], scope: "openid" });
      const params = new URLSearchParams({
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: "state-value",
        nonce: "nonce-value",
        prompt: "create",
      });
      const started = await new Browser().get(`${portico.url}/oauth2/auth?${params}`);
      const request = await consentApp.request(consentIdOf(started));
      assert.deepEqual((request as unknown as { prompt: string[] }).prompt, ["create"]);
    });
  });

  describe(`discovery in Hydra 2.x mode (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      await createClient(portico, "rp", {
        redirect_uris: ["https://rp.example/cb"],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid",
      });
    });
    after(() => portico.stop());

    function authorizationUrl(prompt?: string, extra: Record<string, string> = {}): string {
      const params = new URLSearchParams({
        response_type: "code",
        client_id: "rp",
        redirect_uri: "https://rp.example/cb",
        scope: "openid",
        state: "state-value",
        nonce: "nonce-value",
        ...(prompt ? { prompt } : {}),
        ...extra,
      });
      return `${portico.url}/oauth2/auth?${params}`;
    }

    async function loginRequestOf(response: Response): Promise<{ challenge: string; skip: boolean }> {
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get("location") ?? "");
      assert.equal(`${location.origin}${location.pathname}`, URLS_LOGIN, "the login step, not another page");
      const challenge = location.searchParams.get("login_challenge") as string;
      const request = await admin(
        portico,
        `/admin/oauth2/auth/requests/login?login_challenge=${encodeURIComponent(challenge)}`,
      );
      assert.equal(request.status, 200);
      return { challenge, skip: ((await request.json()) as { skip: boolean }).skip };
    }

    /**
     * A browser with a remembered login, made at the start of a second: requests right after it
     * come in that same second as a rule, where a whole-second comparison took it as fresh enough.
     */
    async function rememberedBrowser(): Promise<Browser> {
      const browser = new Browser();
      const first = await loginRequestOf(await browser.get(authorizationUrl()));
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
      const accepted = await admin(
        portico,
        `/admin/oauth2/auth/requests/login/accept?login_challenge=${encodeURIComponent(first.challenge)}`,
        { method: "PUT", json: { subject: "alice", remember: true, remember_for: 3600 } },
      );
      assert.equal(accepted.status, 200);
      const { redirect_to } = (await accepted.json()) as { redirect_to: string };
      assert.equal((await browser.get(redirect_to)).status, 302);
      return browser;
    }

    test("prompt_values_supported names what the flow honours: select_account asks instead of taking a remembered login; not create", async () => {
      assert.deepEqual((await discovery(portico)).prompt_values_supported, [
        "none",
        "login",
        "consent",
        "select_account",
      ]);
      const browser = await rememberedBrowser();
      assert.equal((await loginRequestOf(await browser.get(authorizationUrl()))).skip, true);
      assert.equal(
        (await loginRequestOf(await browser.get(authorizationUrl("select_account")))).skip,
        false,
        "the person chooses the account: no skip",
      );
      assert.equal((await loginRequestOf(await browser.get(authorizationUrl("create")))).skip, true);
    });

    test("prompt=login and max_age=0 never take a remembered login, even one made in the same second", async () => {
      const browser = await rememberedBrowser();
      assert.equal((await loginRequestOf(await browser.get(authorizationUrl("login")))).skip, false);
      assert.equal(
        (await loginRequestOf(await browser.get(authorizationUrl(undefined, { max_age: "0" })))).skip,
        false,
      );
      assert.equal(
        (await loginRequestOf(await browser.get(authorizationUrl(undefined, { max_age: "3600" })))).skip,
        true,
      );
      assert.equal((await loginRequestOf(await browser.get(authorizationUrl()))).skip, true);
    });
  });
}

/**
 * Native apps as public clients (RFC 8252) over HTTP on every backend: in
 * Hydra 2.x mode a loopback IP redirect URI matches on any port (§7.3, as
 * Hydra 2.x's fosite does) and otherwise exactly; the 2017 face keeps its
 * contract's exact matching, port included.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { admin, sdk } from "@/tests/hydra2/support.ts";
import {
  Browser,
  consentIdOf,
  pkcePair,
  postForm,
  randomValue,
  registerClient,
  startOAuth2Portico,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";

function authorizationUrl(portico: Portico, clientId: string, redirectUri: string, challenge: string) {
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "openid",
    state: randomValue(),
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return `${portico.url}/oauth2/auth?${query}`;
}

/** Whether /oauth2/auth took the redirect URI: on to the login app (2.x) or the consent app (2017). */
function accepted(response: Response, next: string): boolean {
  const location = response.headers.get("location") ?? "";
  return response.status === 302 && location.startsWith(`${next}?`);
}

for (const backend of BACKENDS) {
  describe(`Native apps: loopback redirect URIs in Hydra 2.x mode (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      await sdk(portico).oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "native-loopback",
          redirect_uris: ["http://127.0.0.1/cb", "http://[::1]:8080/cb?app=1", "http://localhost/cb"],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
          token_endpoint_auth_method: "none",
        },
      });
    });
    after(async () => {
      await portico?.stop();
    });

    test("a loopback IP redirect URI on any port: the flow completes and the code goes to that port", async () => {
      const browser = new Browser();
      const { verifier, challenge } = pkcePair();
      const redirectUri = "http://127.0.0.1:51234/cb";
      const started = await browser.get(authorizationUrl(portico, "native-loopback", redirectUri, challenge));
      assert.ok(accepted(started, URLS_LOGIN), `${started.status} ${started.headers.get("location")}`);
      const loginChallenge = new URL(started.headers.get("location") ?? "").searchParams.get(
        "login_challenge",
      );
      const login = await admin(
        portico,
        `/admin/oauth2/auth/requests/login/accept?login_challenge=${loginChallenge}`,
        { method: "PUT", json: { subject: "alice" } },
      );
      assert.equal(login.status, 200);
      const back = await browser.get(((await login.json()) as { redirect_to: string }).redirect_to);
      assert.ok(accepted(back, URLS_CONSENT));
      const consentChallenge = new URL(back.headers.get("location") ?? "").searchParams.get(
        "consent_challenge",
      );
      const consent = await admin(
        portico,
        `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${consentChallenge}`,
        { method: "PUT", json: { grant_scope: ["openid"] } },
      );
      assert.equal(consent.status, 200);
      const done = await browser.get(((await consent.json()) as { redirect_to: string }).redirect_to);
      assert.equal(done.status, 302);
      const location = new URL(done.headers.get("location") ?? "");
      assert.equal(`${location.origin}${location.pathname}`, "http://127.0.0.1:51234/cb");
      const code = location.searchParams.get("code");
      assert.ok(code);

      // The exchange repeats the URI the request named, port and all: the registered one is not it.
      const registered = await postForm(portico, "/oauth2/token", {
        grant_type: "authorization_code",
        client_id: "native-loopback",
        code,
        redirect_uri: "http://127.0.0.1/cb",
        code_verifier: verifier,
      });
      assert.equal(registered.status, 400);
      assert.equal(registered.json.error, "invalid_grant");
      const exchanged = await postForm(portico, "/oauth2/token", {
        grant_type: "authorization_code",
        client_id: "native-loopback",
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      });
      assert.equal(exchanged.status, 200, exchanged.text);
      assert.ok(exchanged.json.access_token);
    });

    test("the port is the only freedom: host, scheme, path and query stay exact", async () => {
      const { challenge } = pkcePair();
      const taken = ["http://127.0.0.1:9/cb", "http://[::1]:40000/cb?app=1", "http://[::1]/cb?app=1"];
      for (const uri of taken) {
        const response = await fetch(authorizationUrl(portico, "native-loopback", uri, challenge), {
          redirect: "manual",
        });
        assert.ok(accepted(response, URLS_LOGIN), `${uri}: ${response.status}`);
      }
      const refused = [
        "http://127.0.0.1:9/cb/", // path
        "http://127.0.0.1:9/cb?x=1", // query
        "http://127.0.0.1:9/CB", // path, case
        "https://127.0.0.1:9/cb", // scheme
        "http://127.0.0.2:9/cb", // another loopback address
        "http://[::1]:9/cb", // the other literal's path and query
        "http://[::1]:8080/cb", // query left out
        "http://127.0.0.1:9/x/../cb", // dot segments
        "http://user@127.0.0.1:9/cb", // userinfo
        "http://localhost:9/cb", // a name, not an IP literal (RFC 8252 §8.3)
        "http://127.0.0.1:9/cb#x", // fragment
      ];
      for (const uri of refused) {
        const response = await fetch(authorizationUrl(portico, "native-loopback", uri, challenge), {
          redirect: "manual",
        });
        assert.equal(response.status, 400, `${uri}: ${response.status} ${response.headers.get("location")}`);
      }
    });
  });

  describe(`Native apps: the 2017 face matches loopback redirect URIs exactly (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
    });
    after(async () => {
      await portico?.stop();
    });

    test("a registered loopback URI matches with its own port only", async () => {
      const client = await registerClient(portico, {
        redirect_uris: ["http://127.0.0.1:8123/cb"],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        public: true,
      });
      const { challenge } = pkcePair();
      const exact = await new Browser().get(
        authorizationUrl(portico, client.id, "http://127.0.0.1:8123/cb", challenge),
      );
      consentIdOf(exact);
      const other = await fetch(authorizationUrl(portico, client.id, "http://127.0.0.1:8124/cb", challenge), {
        redirect: "manual",
      });
      assert.equal(other.status, 400);
    });
  });
}

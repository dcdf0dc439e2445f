/**
 * OAuth 2.0 Form Post Response Mode over real HTTP on every backend: the
 * page's form carries the response to the redirect URI, its only script is
 * the one its CSP allows by hash, it is never cached or framed, and
 * openid-client accepts the POSTed response for code and hybrid flows.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import * as oidc from "openid-client";
import {
  Browser,
  ConsentApp,
  consentIdOf,
  randomValue,
  registerClient,
  relyingParty,
  startOAuth2Portico,
  type TestClient,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

/** The page's form: where it posts and what it carries. */
function readFormPost(html: string): { action: string; fields: URLSearchParams; script: string } {
  const decode = (text: string) =>
    text
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  const action = decode(/<form method="post" action="([^"]*)">/.exec(html)?.[1] ?? "");
  const fields = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields.append(decode(match[1] as string), decode(match[2] as string));
  }
  const script = /<script>([^<]*)<\/script>/.exec(html)?.[1] ?? "";
  return { action, fields, script };
}

for (const backend of BACKENDS) {
  describe(`response_mode=form_post (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let web: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      web = await registerClient(portico, {
        grant_types: ["authorization_code", "implicit"],
        response_types: ["code", "token", "id_token"],
        scope: "openid profile",
        redirect_uris: ["https://rp.example/cb", "https://rp.example/cb?tenant=a&b=c"],
      });
    });
    after(() => portico.stop());

    async function flow(responseType: string) {
      const config = await relyingParty(portico, web);
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const browser = new Browser();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: web.redirectUri,
        response_type: responseType,
        response_mode: "form_post",
        scope: "openid",
        state,
        nonce,
      });
      const id = consentIdOf(await browser.get(url.href));
      const wire = await consentApp.request(id);
      await consentApp.accept(id, { subject: "user-1", grantScopes: wire.requestedScopes });
      const page = await browser.get(wire.redirectUrl);
      return { page, state, nonce, config };
    }

    test("discovery lists query, fragment and form_post", async () => {
      const document = (await (await fetch(`${portico.url}/.well-known/openid-configuration`)).json()) as {
        response_modes_supported: string[];
      };
      assert.deepEqual(document.response_modes_supported, ["query", "fragment", "form_post"]);
    });

    test("a code: an auto-submitting page, its script allowed by hash, never cached or framed", async () => {
      const { page, state, nonce, config } = await flow("code");
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(page.headers.get("cache-control"), "no-store");
      assert.equal(page.headers.get("x-frame-options"), "DENY");
      const csp = page.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      // No form-action: it would hold the callback's own redirects (tests/oidc/form-post-browser.test.ts).
      assert.doesNotMatch(csp, /form-action/);
      const html = await page.text();
      const form = readFormPost(html);
      assert.equal(form.action, web.redirectUri);
      assert.equal(form.fields.get("state"), state);
      assert.equal(form.fields.get("iss"), portico.url);
      assert.ok(form.fields.get("code"));
      const hash = createHash("sha256").update(form.script).digest("base64");
      assert.ok(csp.includes(`'sha256-${hash}'`), "the only script is the one the CSP allows");
      assert.match(html, /<button type="submit">Continue<\/button>/, "a Continue button without JavaScript");

      const callback = new Request(web.redirectUri, { method: "POST", body: form.fields });
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        expectedState: state,
        expectedNonce: nonce,
      });
      assert.equal(tokens.claims()?.sub, "user-1");
    });

    test("every response type can use it: hybrid and implicit carry their tokens in the form", async () => {
      for (const type of ["code id_token", "id_token token", "code id_token token"]) {
        const { page, state } = await flow(type);
        const { fields } = readFormPost(await page.text());
        assert.equal(fields.get("state"), state, type);
        for (const part of type.split(" ")) {
          const name = part === "token" ? "access_token" : part;
          assert.ok(fields.get(name), `${type}: ${name}`);
        }
      }
    });

    test("errors after the redirect URI is verified go there by form_post too, with state", async () => {
      const state = randomValue();
      const page = await new Browser().get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: web.id,
          redirect_uri: "https://rp.example/cb?tenant=a&b=c",
          response_mode: "form_post",
          scope: "openid",
          prompt: "none login",
          state,
        })}`,
      );
      assert.equal(page.status, 200);
      const { fields, action } = readFormPost(await page.text());
      assert.equal(action, "https://rp.example/cb?tenant=a&b=c", "the registered URI, query and all");
      assert.equal(fields.get("error"), "invalid_request");
      assert.equal(fields.get("state"), state);
      // Not before: an unknown redirect URI is an error page, never a form to it.
      const unverified = await new Browser().get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: web.id,
          redirect_uri: "https://evil.example/cb",
          response_mode: "form_post",
          state,
        })}`,
      );
      assert.equal(unverified.status, 400);
      assert.doesNotMatch(await unverified.text(), /evil\.example/);
    });
  });
}

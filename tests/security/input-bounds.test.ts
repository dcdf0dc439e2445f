/**
 * Input the 2017 API refuses at its boundaries, on every backend alike:
 * U+0000 anywhere (PostgreSQL's text columns refuse it, which was a 500 there),
 * token extras nested or sized beyond their bounds (which overflowed the stack
 * while issuing tokens, after the grant was written), and a POST authorization
 * request over 1 MiB (413, as every other body). Each refusal writes nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import {
  Browser,
  ConsentApp,
  consentIdOf,
  credentialsOf,
  postForm,
  registerClient,
  responseParams,
  startOAuth2Portico,
  type TestClient,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const NUL = "\u0000";
const POST_LOGOUT = "https://rp.example/bye";

/** `{"x": [[…]]}`: the extra itself is level 1, so `levels` arrays make it levels + 1 deep. */
const nested = (levels: number) => `{"x":${"[".repeat(levels)}${"]".repeat(levels)}}`;

async function assertApiError(response: Response, status: number, message?: RegExp): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  const body = JSON.parse(text) as { error: { code: number; message: string } };
  assert.equal(body.error.code, status);
  if (message) assert.match(body.error.message, message);
}

for (const backend of BACKENDS) {
  describe(`input bounds at the API's boundaries (${backend})`, () => {
    let portico: Portico;
    let root: string;
    let consentApp: ConsentApp;
    let client: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      root = await portico.rootToken();
      consentApp = await ConsentApp.for(portico);
      client = await registerClient(portico, {
        grant_types: ["authorization_code", "client_credentials"],
        response_types: ["code"],
        post_logout_redirect_uris: [POST_LOGOUT],
      });
    });
    after(() => portico.stop());

    const rawJson = (path: string, method: string, body: string) =>
      fetch(`${portico.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${root}`, "content-type": "application/json" },
        body,
      });

    /** A new consent request of `client`, with the browser that holds its binding cookie. */
    async function newConsent(scope = "openid offline"): Promise<{ id: string; browser: Browser }> {
      const browser = new Browser();
      const query = new URLSearchParams({
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope,
        state: "state-value-1234",
      });
      return { id: consentIdOf(await browser.get(`${portico.url}/oauth2/auth?${query}`)), browser };
    }

    test("a JSON body holding U+0000 in any string or key is a 400 that writes nothing", async () => {
      const refused: Array<[string, string, unknown]> = [
        ["POST", "/clients", { id: "nul-owner", owner: `a${NUL}b` }],
        ["POST", "/clients", { id: "nul-uri", client_uri: `https://a.example/${NUL}` }],
        ["POST", "/clients", { id: "nul-contact", contacts: [`a${NUL}@example.com`] }],
        ["PUT", `/clients/${client.id}`, { owner: NUL, redirect_uris: [client.redirectUri] }],
        ["POST", "/policies", { id: "nul-description", effect: "allow", description: `a${NUL}b` }],
        [
          "POST",
          "/policies",
          {
            id: "nul-key",
            effect: "allow",
            conditions: { [`own${NUL}er`]: { type: "EqualsSubjectCondition" } },
          },
        ],
      ];
      for (const [method, path, body] of refused) {
        const response = await rawJson(path, method, JSON.stringify(body));
        await assertApiError(response, 400, /NUL/);
      }
      for (const path of ["/clients/nul-owner", "/clients/nul-uri", "/clients/nul-contact"]) {
        assert.equal((await portico.call(path, { token: root })).status, 404, path);
      }
      for (const path of ["/policies/nul-description", "/policies/nul-key"]) {
        assert.equal((await portico.call(path, { token: root })).status, 404, path);
      }
      const kept = (await (await portico.call(`/clients/${client.id}`, { token: root })).json()) as {
        owner: string;
      };
      assert.equal(kept.owner, "", "the refused PUT changed nothing");
    });

    test("half of a surrogate pair in a JSON string or key is a 400 that writes nothing; a whole pair is kept", async () => {
      // JSON.stringify would write a lone surrogate as its escape: the bodies are written by hand.
      const refused: Array<[string, string, string]> = [
        ["POST", "/clients", '{"id":"lone-name","client_name":"a\\ud800b"}'],
        ["POST", "/clients", '{"id":"lone-owner","owner":"\\udfff"}'],
        [
          "POST",
          "/policies",
          '{"id":"lone-key","effect":"allow","conditions":{"\\ud83d":{"type":"EqualsSubjectCondition"}}}',
        ],
      ];
      for (const [method, path, body] of refused) {
        await assertApiError(await rawJson(path, method, body), 400, /surrogate/);
      }
      for (const path of ["/clients/lone-name", "/clients/lone-owner", "/policies/lone-key"]) {
        assert.equal((await portico.call(path, { token: root })).status, 404, path);
      }
      // A whole pair (an emoji, escaped or not) is text: what is answered is what is read back.
      const created = await rawJson(
        "/clients",
        "POST",
        '{"id":"pair-name","client_name":"a\\ud83d\\ude00b 😀"}',
      );
      assert.equal(created.status, 201, await created.clone().text());
      const answered = ((await created.json()) as { client_name: string }).client_name;
      const read = (
        (await (await portico.call("/clients/pair-name", { token: root })).json()) as { client_name: string }
      ).client_name;
      assert.equal(answered, "a😀b 😀");
      assert.equal(read, answered);
    });

    test("a consent decision holding U+0000 is a 400, and the request can still be decided", async () => {
      const { id } = await newConsent();
      for (const body of [
        { subject: `a${NUL}b` },
        { subject: "user-1", idTokenExtra: { name: `a${NUL}` } },
        { subject: "user-1", accessTokenExtra: { [`k${NUL}`]: 1 } },
      ]) {
        await assertApiError(await consentApp.accept(id, body), 400, /NUL/);
      }
      await assertApiError(await consentApp.reject(id, { reason: `a${NUL}b` }), 400, /NUL/);
      assert.equal((await consentApp.reject(id, { reason: "fine" })).status, 204);
    });

    test("a consent decision's subject is printable ASCII, as the subject operations take it", async () => {
      const { id } = await newConsent();
      for (const subject of ["ünïcode", "tab\there", "line\nbreak", "emoji-😀"]) {
        await assertApiError(await consentApp.accept(id, { subject }), 400, /printable ASCII/);
      }
      assert.equal((await consentApp.accept(id, { subject: "user 1@example.com" })).status, 204);
      // That subject's grants can be listed (and so revoked) through the subject operations.
      const listed = await portico.call(
        `/oauth2/auth/sessions/consent/${encodeURIComponent("user 1@example.com")}`,
        {
          token: root,
        },
      );
      assert.equal(listed.status, 200);
    });

    test("a consent decision's authTime before 1970 is a 400, not a server_error at the client", async () => {
      // RFC 3339 allows year 0: it was accepted (204), then storing the grant failed on PostgreSQL
      // and the browser was sent to the client with error=server_error.
      const { id, browser } = await newConsent();
      for (const authTime of ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00+23:59", "1969-12-31T23:59:59Z"]) {
        await assertApiError(
          await consentApp.accept(id, { subject: "user-1", grantScopes: ["openid"], authTime }),
          400,
          /1970/,
        );
      }
      const { redirectUrl } = await consentApp.request(id);
      const authTime = "1970-01-01T00:00:00Z";
      assert.equal(
        (await consentApp.accept(id, { subject: "user-1", grantScopes: ["openid"], authTime })).status,
        204,
      );
      const back = await browser.get(redirectUrl);
      const code = responseParams(back, "query").get("code");
      assert.ok(code, "the client gets a code");
      const token = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
        credentialsOf(client),
      );
      assert.equal(token.status, 200, token.text);
      assert.equal(decodeJwt(token.json.id_token as string).auth_time, 0);
    });

    test("ending a subject's sessions refuses a subject holding U+0000", async () => {
      const end = (subject: string) =>
        portico.call(`/oauth2/auth/sessions/login?${new URLSearchParams({ subject })}`, {
          method: "DELETE",
          token: root,
        });
      await assertApiError(await end(`a${NUL}b`), 400, /NUL/);
      assert.equal((await end("ab")).status, 204);
    });

    test("the end-session endpoint answers an error page for U+0000, by GET and by POST", async () => {
      const query = { client_id: client.id, post_logout_redirect_uri: POST_LOGOUT, state: `x${NUL}y` };
      const got = await fetch(`${portico.url}/oauth2/sessions/logout?${new URLSearchParams(query)}`, {
        redirect: "manual",
      });
      assert.equal(got.status, 400);
      assert.match(got.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(await got.text(), /invalid_request/);
      const posted = await new Browser().post(`${portico.url}/oauth2/sessions/logout`, query);
      assert.equal(posted.status, 400);
      const fine = await fetch(
        `${portico.url}/oauth2/sessions/logout?${new URLSearchParams({ ...query, state: "xy" })}`,
        { redirect: "manual" },
      );
      assert.equal(fine.status, 302, "the same request without U+0000 goes on to the logout app");
    });

    test("/oauth2/auth answers an error page for U+0000 in any parameter and stores nothing", async () => {
      const base = {
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: "state-value-1234",
      };
      const changes: Array<Record<string, string>> = [
        { state: `x${NUL}y` },
        { client_id: `${client.id}${NUL}` },
        { [`a${NUL}`]: "b" },
      ];
      for (const change of changes) {
        const query = new URLSearchParams({ ...base, ...change });
        const got = await fetch(`${portico.url}/oauth2/auth?${query}`, { redirect: "manual" });
        assert.equal(got.status, 400, JSON.stringify(change));
        assert.match(await got.text(), /invalid_request/);
        const posted = await new Browser().post(`${portico.url}/oauth2/auth`, query);
        assert.equal(posted.status, 400, JSON.stringify(change));
      }
    });

    test("the token, introspection, revocation and UserInfo forms refuse U+0000 (invalid_request)", async () => {
      const credentials = credentialsOf(client);
      const token = await portico.tokenFor(credentials.id, credentials.secret);
      for (const [path, form, auth] of [
        ["/oauth2/token", { grant_type: "client_credentials", scope: `a${NUL}` }, credentials],
        ["/oauth2/token", { grant_type: "client_credentials", client_id: `${client.id}${NUL}` }, undefined],
        [
          "/oauth2/token",
          { grant_type: "client_credentials", client_id: `x${NUL}`, client_secret: "s" },
          undefined,
        ],
        ["/oauth2/introspect", { token: `${token}${NUL}` }, { id: "root", secret: portico.root.secret }],
        ["/oauth2/revoke", { token: `${token}${NUL}` }, credentials],
        ["/userinfo", { access_token: `${token}${NUL}` }, undefined],
      ] as const) {
        const response = await postForm(portico, path, form, auth);
        assert.equal(response.status, 400, `${path}: ${response.text}`);
        assert.equal(response.json.error, "invalid_request");
      }
      const active = await postForm(portico, "/oauth2/introspect", { token }, portico.root);
      assert.equal(active.json.active, true, "the refused revocation revoked nothing");
    });

    test("HTTP Basic credentials holding U+0000 are an invalid client, never a 500", async () => {
      for (const id of [`${client.id}${NUL}`, `${client.id}%00`]) {
        const response = await fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${id}:secret`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: "grant_type=client_credentials",
        });
        assert.equal(response.status, 401, id);
        assert.equal(((await response.json()) as { error: string }).error, "invalid_client");
      }
    });

    test("token extras nested beyond 32 levels or over 16 KiB are a 400 that writes nothing", async () => {
      const { id, browser } = await newConsent();
      const accept = (body: string) =>
        fetch(`${portico.url}/oauth2/consent/requests/${id}/accept`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${consentApp.token}`, "content-type": "application/json" },
          body,
        });
      const grant = `"subject":"deep-user","grantScopes":["openid","offline"]`;
      for (const [field, extra] of [
        ["idTokenExtra", nested(5000)],
        ["idTokenExtra", nested(3000)],
        ["accessTokenExtra", nested(3000)],
        ["idTokenExtra", nested(32)],
        ["accessTokenExtra", nested(32)],
      ] as const) {
        await assertApiError(await accept(`{${grant},"${field}":${extra}}`), 400, /32 levels/);
      }
      const big = (length: number) => JSON.stringify({ a: "x".repeat(length) });
      assert.equal(Buffer.byteLength(big(16 * 1024 - 8)), 16 * 1024);
      for (const field of ["idTokenExtra", "accessTokenExtra"]) {
        await assertApiError(await accept(`{${grant},"${field}":${big(16 * 1024 - 7)}}`), 400, /16384 bytes/);
        await assertApiError(
          await accept(`{${grant},"${field}":{"a":{"__proto__":{"b":1}}}}`),
          400,
          /__proto__/,
        );
        await assertApiError(await accept(`{${grant},"${field}":{"__proto__":{"b":1}}}`), 400, /__proto__/);
      }
      // Nothing was written: the request is still undecided, and takes extras at the bounds.
      const deepest = nested(31);
      const accepted = await accept(
        `{${grant},"idTokenExtra":${deepest},"accessTokenExtra":${big(16 * 1024 - 8)}}`,
      );
      assert.equal(accepted.status, 204, await accepted.text());
      const decision = (await (await consentApp.decision(id)).json()) as { redirectUrl: string };
      const code = responseParams(await browser.get(decision.redirectUrl), "query").get("code");
      assert.ok(code);
      const tokens = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
        credentialsOf(client),
      );
      assert.equal(tokens.status, 200, tokens.text);
      const claims = decodeJwt(tokens.json.id_token as string);
      assert.deepEqual(claims.x, JSON.parse(deepest).x);
      const introspected = await postForm(
        portico,
        "/oauth2/introspect",
        { token: tokens.json.access_token as string },
        portico.root,
      );
      assert.deepEqual(introspected.json.ext, { a: "x".repeat(16 * 1024 - 8) });
    });

    test("token extras keep `constructor` and `prototype` keys exactly", async () => {
      const extra = { constructor: "c", prototype: { toString: "t", hasOwnProperty: 1 } };
      const { id, browser } = await newConsent("openid");
      const accepted = await consentApp.accept(id, {
        subject: "user-2",
        grantScopes: ["openid"],
        accessTokenExtra: extra,
        idTokenExtra: extra,
      });
      assert.equal(accepted.status, 204, await accepted.text());
      const decision = (await (await consentApp.decision(id)).json()) as { redirectUrl: string };
      const code = responseParams(await browser.get(decision.redirectUrl), "query").get("code");
      assert.ok(code);
      const tokens = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
        credentialsOf(client),
      );
      assert.equal(tokens.status, 200, tokens.text);
      const claims = decodeJwt(tokens.json.id_token as string);
      assert.equal(claims.constructor, "c");
      assert.deepEqual(claims.prototype, extra.prototype);
      const introspected = await postForm(
        portico,
        "/oauth2/introspect",
        { token: tokens.json.access_token as string },
        portico.root,
      );
      assert.deepEqual(introspected.json.ext, extra);
    });

    test("a POST authorization request over 1 MiB is a 413 page, and the connection closes", async () => {
      const response = await fetch(`${portico.url}/oauth2/auth`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "a".repeat(1024 * 1024 + 1),
      });
      assert.equal(response.status, 413);
      assert.equal(response.headers.get("connection"), "close");
      assert.match(await response.text(), /too large/);
      const form = await new Browser().post(`${portico.url}/oauth2/auth`, { padding: "p".repeat(100) });
      assert.equal(form.status, 400, "a small bad POST stays a 400");
    });
  });
}

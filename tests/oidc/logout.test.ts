/**
 * Sign-out over real HTTP on every backend: RP-Initiated Logout 1.0 driven
 * by openid-client (with and without a registered post-logout URI), the app's
 * half through the logout-request additions of the 2017 API, and
 * Back-Channel Logout 1.0 to local receivers that verify every logout token
 * — including receivers that hang, refuse or fail, which must never slow or
 * break the sign-out. Every bad request is an error page that ends nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from "jose";
import * as oidc from "openid-client";
import { createDatabase } from "@/db/client.ts";
import {
  Browser,
  ConsentApp,
  consentIdOf,
  randomValue,
  registerClient,
  relyingParty,
  sleep,
  startOAuth2Portico,
  type TestClient,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, freshDatabase, type Portico } from "@/tests/support/server.ts";
import { Receiver } from "./back-channel-receiver.ts";

const LOGOUT_URL = "https://consent.example/logout";
const EVENT = "http://schemas.openid.net/event/backchannel-logout";

for (const backend of BACKENDS) {
  describe(`sign-out: RP-initiated and back-channel logout (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let receiver: Receiver;
    let rp: TestClient;
    let quiet: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { LOGOUT_URL } });
      consentApp = await ConsentApp.for(portico);
      receiver = await new Receiver().start();
      rp = await registerClient(portico, {
        scope: "openid",
        post_logout_redirect_uris: ["https://rp.example/signed-out", "https://rp.example/bye?lang=en"],
        backchannel_logout_uri: receiver.url,
        backchannel_logout_session_required: true,
      });
      quiet = await registerClient(portico, { scope: "openid" });
    });
    after(async () => {
      await portico.stop();
      await receiver.stop();
    });

    /** A code flow with openid-client; the app reports session `sid` for `subject`. */
    async function signIn(
      client: TestClient,
      subject: string,
      sid: string,
      on: { portico: Portico; consentApp: ConsentApp } = { portico, consentApp },
    ): Promise<string> {
      const config = await relyingParty(on.portico, client);
      const state = oidc.randomState();
      const browser = new Browser();
      const started = await browser.get(
        oidc.buildAuthorizationUrl(config, { redirect_uri: client.redirectUri, scope: "openid", state }).href,
      );
      const id = consentIdOf(started);
      const wire = await on.consentApp.request(id);
      await on.consentApp.accept(id, {
        subject,
        grantScopes: wire.requestedScopes,
        authTime: new Date().toISOString(),
        amr: ["pwd"],
        sid,
      });
      const back = await browser.get(wire.redirectUrl);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get("location") ?? ""), {
        expectedState: state,
      });
      assert.equal(tokens.claims()?.sid, sid);
      return tokens.id_token as string;
    }

    const logoutApi = (path: string, init: { method?: string; json?: unknown } = {}) =>
      portico.call(`/oauth2/logout/requests/${path}`, { ...init, token: consentApp.token });

    /** The end-session endpoint's 302 to the app: the logout request's id. */
    function logoutIdOf(response: Response): string {
      assert.equal(response.status, 302, `expected a redirect to the app, got ${response.status}`);
      const location = new URL(response.headers.get("location") ?? "");
      assert.equal(`${location.origin}${location.pathname}`, LOGOUT_URL);
      return location.searchParams.get("logout") as string;
    }

    /** Verifies a logout token as a relying party must (Back-Channel Logout 1.0 §2.6). */
    async function verifyLogoutToken(token: string, audience: string) {
      const header = decodeProtectedHeader(token);
      assert.equal(header.typ, "logout+jwt");
      const { payload } = await jwtVerify(
        token,
        createRemoteJWKSet(new URL(`${portico.url}/.well-known/jwks.json`)),
        {
          issuer: portico.url,
          audience,
          algorithms: ["RS256"],
          requiredClaims: ["iss", "aud", "iat", "exp", "jti", "events"],
        },
      );
      assert.deepEqual(payload.events, { [EVENT]: {} });
      assert.equal(payload.nonce, undefined, "a logout token never carries a nonce");
      assert.ok((payload.exp as number) - (payload.iat as number) <= 300);
      return payload;
    }

    test("discovery: end_session_endpoint and back-channel logout with sessions", async () => {
      const document = (await (
        await fetch(`${portico.url}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      assert.equal(document.end_session_endpoint, `${portico.url}/oauth2/sessions/logout`);
      assert.equal(document.backchannel_logout_supported, true);
      assert.equal(document.backchannel_logout_session_supported, true);
    });

    test("RP-initiated with a registered URI: the app accepts, the client gets a verified logout token, the browser returns with state once", async () => {
      const sid = randomValue();
      const idToken = await signIn(rp, "ann", sid);
      const config = await relyingParty(portico, rp);
      const state = randomValue();
      const url = oidc.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: "https://rp.example/bye?lang=en",
        state,
      });
      const browser = new Browser();
      const id = logoutIdOf(await browser.get(url.href));

      const read = await logoutApi(id);
      assert.equal(read.status, 200);
      const request = (await read.json()) as Record<string, unknown>;
      assert.equal(request.subject, "ann");
      assert.equal(request.sid, sid);
      assert.equal(request.audience, rp.id);

      const before = receiver.tokens.length;
      const accepted = await logoutApi(`${id}/accept`, { method: "PATCH", json: { subject: "ann", sid } });
      assert.equal(accepted.status, 200);
      const { redirectTo } = (await accepted.json()) as { redirectTo: string };
      assert.ok(redirectTo.startsWith(`${portico.url}/oauth2/sessions/logout?`), "back through the server");

      const tokens = await receiver.waitFor(before + 1);
      const claims = await verifyLogoutToken(tokens[before] as string, rp.id);
      assert.equal(claims.sid, sid);
      assert.equal(claims.sub, "ann");

      const back = await browser.get(redirectTo);
      assert.equal(back.status, 302);
      const location = new URL(back.headers.get("location") ?? "");
      assert.equal(`${location.origin}${location.pathname}`, "https://rp.example/bye");
      assert.equal(location.searchParams.get("lang"), "en");
      assert.equal(location.searchParams.get("state"), state);

      // Replays: the return works once; the decision once.
      const again = await browser.get(redirectTo);
      assert.equal(again.status, 400);
      assert.equal(again.headers.get("location"), null);
      assert.equal((await logoutApi(`${id}/accept`, { method: "PATCH", json: {} })).status, 409);
      assert.equal((await logoutApi(id)).status, 409);
    });

    test("RP-initiated without a registered URI (client_id only, POST): no redirect back; the app shows its own page", async () => {
      const browser = new Browser();
      const id = logoutIdOf(
        await browser.post(`${portico.url}/oauth2/sessions/logout`, { client_id: quiet.id }),
      );
      const request = (await (await logoutApi(id)).json()) as Record<string, unknown>;
      assert.equal(request.subject, undefined, "no hint: the app must ask");
      assert.equal(request.audience, quiet.id);
      const accepted = await logoutApi(`${id}/accept`, { method: "PATCH", json: {} });
      assert.equal(accepted.status, 200);
      assert.deepEqual(await accepted.json(), {});
      // Nothing at all is fine too.
      const bare = logoutIdOf(await browser.get(`${portico.url}/oauth2/sessions/logout`));
      assert.equal((await logoutApi(`${bare}/reject`, { method: "PATCH" })).status, 204);
      assert.equal((await logoutApi(`${bare}/accept`, { method: "PATCH", json: {} })).status, 409);
    });

    test("bad requests: an error page, never a redirect; the app's operations refuse bad ids, bodies and callers", async () => {
      const idToken = await signIn(rp, "bob", randomValue());
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await new SignJWT({ sub: "bob", aud: rp.id, iss: portico.url })
        .setProtectedHeader({ alg: "RS256", kid: "public" })
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey);
      const cases: Array<[string, Record<string, string>]> = [
        [
          "an unregistered post_logout_redirect_uri",
          { id_token_hint: idToken, post_logout_redirect_uri: "https://evil.example/" },
        ],
        [
          "a registered URI with a different query",
          { id_token_hint: idToken, post_logout_redirect_uri: "https://rp.example/bye?lang=de" },
        ],
        [
          "a post_logout_redirect_uri without a client",
          { post_logout_redirect_uri: "https://rp.example/signed-out" },
        ],
        [
          "another client's URI",
          { client_id: quiet.id, post_logout_redirect_uri: "https://rp.example/signed-out" },
        ],
        [
          "a forged id_token_hint",
          { id_token_hint: forged, post_logout_redirect_uri: "https://rp.example/signed-out" },
        ],
        ["a malformed id_token_hint", { id_token_hint: "x.y.z" }],
        ["an unknown client", { client_id: "no-such-client" }],
        ["client_id not the hint's audience", { client_id: quiet.id, id_token_hint: idToken }],
        ["state sent twice", { client_id: quiet.id }],
      ];
      for (const [name, params] of cases) {
        const query = new URLSearchParams(params);
        if (name === "state sent twice") {
          query.append("state", "a");
          query.append("state", "b");
        }
        const response = await fetch(`${portico.url}/oauth2/sessions/logout?${query}`, {
          redirect: "manual",
        });
        assert.equal(response.status, 400, name);
        assert.equal(response.headers.get("location"), null, name);
        assert.equal(response.headers.get("x-frame-options"), "DENY", name);
        const html = await response.text();
        assert.match(html, /sign-out request could not be completed/, name);
        assert.doesNotMatch(html, /evil\.example/, name);
      }
      // The app's operations: unknown ids, bad bodies, and no token or policy.
      assert.equal((await logoutApi("unknown-id")).status, 404);
      assert.equal((await logoutApi("unknown-id/accept", { method: "PATCH", json: {} })).status, 404);
      const id = logoutIdOf(await new Browser().get(`${portico.url}/oauth2/sessions/logout`));
      assert.equal(
        (await logoutApi(`${id}/accept`, { method: "PATCH", json: { sid: "bad sid!" } })).status,
        400,
      );
      assert.equal((await portico.call(`/oauth2/logout/requests/${id}`)).status, 401);
      const outsider = await registerClient(portico, {
        grant_types: ["client_credentials"],
        scope: "hydra.consent",
      });
      const outsiderToken = await portico.tokenFor(outsider.id, outsider.secret as string, "hydra.consent");
      assert.equal(
        (await portico.call(`/oauth2/logout/requests/${id}`, { token: outsiderToken })).status,
        403,
      );
      assert.equal(
        (
          await portico.call("/oauth2/auth/sessions/login?subject=bob", {
            method: "DELETE",
            token: outsiderToken,
          })
        ).status,
        403,
      );
      assert.equal((await logoutApi(id)).status, 200, "still pending: nothing changed");
    });

    test("sign out everywhere: every session of the person, each client once per session", async () => {
      const local = await new Receiver().start();
      try {
        const other = await registerClient(portico, { scope: "openid", backchannel_logout_uri: local.url });
        const [s1, s2] = [randomValue(), randomValue()];
        await signIn(rp, "carol", s1);
        await signIn(rp, "carol", s2);
        await signIn(other, "carol", s1);
        await signIn(other, "dave", randomValue());
        const before = receiver.tokens.length;
        const ended = await portico.call("/oauth2/auth/sessions/login?subject=carol", {
          method: "DELETE",
          token: consentApp.token,
        });
        assert.equal(ended.status, 204);
        const mine = (await receiver.waitFor(before + 2)).slice(before);
        const sids = (await Promise.all(mine.map((t) => verifyLogoutToken(t, rp.id))))
          .map((c) => c.sid)
          .sort();
        assert.deepEqual(sids, [s1, s2].sort());
        const [theirs] = await local.waitFor(1);
        const claims = await verifyLogoutToken(theirs as string, other.id);
        assert.equal(claims.sub, "carol");
        assert.equal(claims.sid, s1);
        await sleep(300);
        assert.equal(local.tokens.length, 1, "dave was not signed out");
        // One session only, by sid.
        const one = await portico.call(`/oauth2/auth/sessions/login?sid=${s2}`, {
          method: "DELETE",
          token: consentApp.token,
        });
        assert.equal(one.status, 204);
        const [last] = (await receiver.waitFor(before + 3)).slice(before + 2);
        assert.equal((await verifyLogoutToken(last as string, rp.id)).sid, s2);
        const none = await portico.call("/oauth2/auth/sessions/login", {
          method: "DELETE",
          token: consentApp.token,
        });
        assert.equal(none.status, 400);
      } finally {
        await local.stop();
      }
    });

    test("a delivery that failed is kept: after a restart, another process on the same database makes it", async () => {
      // Both processes use this database; neither drops it, the test does.
      const database = await freshDatabase(backend);
      const first = await startOAuth2Portico({ backend, env: { LOGOUT_URL }, databaseUrl: database.url });
      const db = createDatabase(first.databaseUrl);
      const receiver = await new Receiver().start();
      const port = Number(new URL(receiver.url).port);
      await receiver.stop();
      let second: Portico | undefined;
      try {
        const app = await ConsentApp.for(first);
        const client = await registerClient(first, { scope: "openid", backchannel_logout_uri: receiver.url });
        const sid = randomValue();
        await signIn(client, "frank", sid, { portico: first, consentApp: app });
        const ended = await first.call(`/oauth2/auth/sessions/login?sid=${sid}`, {
          method: "DELETE",
          token: app.token,
        });
        assert.equal(ended.status, 204);
        // The first attempt found nobody listening; the delivery waits in the database.
        const deadline = Date.now() + 10_000;
        while (
          Date.now() < deadline &&
          (await db.backchannelDelivery.count({ where: { attempts: 1 } })) === 0
        )
          await sleep(50);
        assert.equal(await db.backchannelDelivery.count({ where: { clientId: client.id, attempts: 1 } }), 1);
        await first.stop();

        await receiver.start(port);
        second = await startOAuth2Portico({ backend, env: { LOGOUT_URL }, databaseUrl: database.url });
        const [token] = await receiver.waitFor(1, 30_000);
        const { payload } = await jwtVerify(
          token as string,
          createRemoteJWKSet(new URL(`${second.url}/.well-known/jwks.json`)),
          { audience: client.id },
        );
        assert.equal(payload.sid, sid);
        assert.equal(payload.sub, "frank");
        assert.deepEqual(payload.events, { [EVENT]: {} });
        const gone = Date.now() + 10_000;
        while (
          Date.now() < gone &&
          (await db.backchannelDelivery.count({ where: { clientId: client.id } })) > 0
        )
          await sleep(50);
        assert.equal(
          await db.backchannelDelivery.count({ where: { clientId: client.id } }),
          0,
          "delivered once",
        );
      } finally {
        await db.$disconnect();
        await second?.stop();
        await first.stop().catch(() => {});
        await receiver.stop().catch(() => {});
        await database.drop();
      }
    });

    test("receivers that hang, refuse or fail never slow or break the sign-out; a failing one is retried", async () => {
      const hanging = await new Receiver().start();
      hanging.answer = () => {};
      const failing = await new Receiver().start();
      let calls = 0;
      failing.answer = (res) => {
        calls += 1;
        res.writeHead(calls === 1 ? 500 : 200).end();
      };
      const refusing = await new Receiver().start();
      const refusedUrl = refusing.url;
      await refusing.stop();
      try {
        const sid = randomValue();
        for (const uri of [hanging.url, failing.url, refusedUrl]) {
          const client = await registerClient(portico, { scope: "openid", backchannel_logout_uri: uri });
          await signIn(client, "erin", sid);
        }
        const id = logoutIdOf(await new Browser().get(`${portico.url}/oauth2/sessions/logout`));
        const accepted = await logoutApi(`${id}/accept`, { method: "PATCH", json: { subject: "erin", sid } });
        assert.equal(accepted.status, 200, "answered while a receiver still hangs");
        await hanging.waitFor(1);
        assert.equal(hanging.tokens.length, 1);
        await failing.waitFor(2);
        assert.equal(calls, 2, "the 500 was retried once it failed, then delivered");
        // The server keeps serving.
        assert.equal((await fetch(`${portico.url}/health`)).status, 200);
      } finally {
        await hanging.stop();
        await failing.stop();
      }
    });
  });
}

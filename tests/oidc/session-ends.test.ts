/**
 * The server's half of "logout tokens only for a session that really
 * ended", over real HTTP on every backend: accepting a logout request
 * announces the session the app says it ended, and never falls back on the
 * session the id_token_hint named — an app that ended nothing (`{}`) has
 * nobody told; and deleting a subject ends every session of it. The app's half, through the pages, is e2e/session-ends.spec.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
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
import { BACKENDS, type Portico } from "@/tests/support/server.ts";
import { Receiver } from "./back-channel-receiver.ts";

const LOGOUT_URL = "https://consent.example/logout";

for (const backend of BACKENDS) {
  describe(`accepting a logout request announces only what the app ended (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let receiver: Receiver;
    let rp: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { LOGOUT_URL } });
      consentApp = await ConsentApp.for(portico);
      receiver = await new Receiver().start();
      rp = await registerClient(portico, {
        scope: "openid",
        backchannel_logout_uri: receiver.url,
        backchannel_logout_session_required: true,
      });
    });
    after(async () => {
      await portico.stop();
      await receiver.stop();
    });

    /** A code flow in which the app reports session `sid` for `subject`; the ID token. */
    async function signIn(subject: string, sid: string): Promise<string> {
      const config = await relyingParty(portico, rp);
      const state = oidc.randomState();
      const browser = new Browser();
      const started = await browser.get(
        oidc.buildAuthorizationUrl(config, { redirect_uri: rp.redirectUri, scope: "openid", state }).href,
      );
      const id = consentIdOf(started);
      const wire = await consentApp.request(id);
      await consentApp.accept(id, {
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
      return tokens.id_token as string;
    }

    /** An RP-initiated sign-out with the hint, as the browser brings it to the app: its id. */
    async function logoutRequest(idToken: string): Promise<string> {
      const response = await new Browser().get(
        `${portico.url}/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: idToken })}`,
      );
      assert.equal(response.status, 302);
      return new URL(response.headers.get("location") ?? "").searchParams.get("logout") as string;
    }

    const accept = (id: string, body: unknown) =>
      portico.call(`/oauth2/logout/requests/${id}/accept`, {
        method: "PATCH",
        json: body,
        token: consentApp.token,
      });

    test("{}: the hint's session is not announced; the session the app names is, once", async () => {
      const sid = randomValue();
      const idToken = await signIn("ann", sid);

      const nothing = await logoutRequest(idToken);
      const request = (await (
        await portico.call(`/oauth2/logout/requests/${nothing}`, { token: consentApp.token })
      ).json()) as Record<string, unknown>;
      assert.equal(request.sid, sid, "the hint named the session");
      assert.equal((await accept(nothing, {})).status, 200);
      await sleep(1000);
      assert.equal(receiver.tokens.length, 0, "the app ended nothing, so nobody is told");

      const ended = await logoutRequest(idToken);
      assert.equal((await accept(ended, { subject: "ann", sid })).status, 200);
      const received = await receiver.waitFor(1);
      assert.equal(received.length, 1);
      const { payload } = await jwtVerify(
        received[0] as string,
        createRemoteJWKSet(new URL(`${portico.url}/.well-known/jwks.json`)),
        { issuer: portico.url, audience: rp.id },
      );
      assert.equal(payload.sid, sid);
      assert.equal(payload.sub, "ann");
      await sleep(300);
      assert.equal(receiver.tokens.length, 1, "one token for one ended session");
    });

    test("deleting a subject tells every app its sessions signed in to", async () => {
      receiver.tokens.length = 0;
      const sid = randomValue();
      await signIn("bea", sid);
      const deleted = await portico.call(`/oauth2/auth/subjects/bea`, {
        method: "DELETE",
        token: consentApp.token,
      });
      assert.equal(deleted.status, 204);
      const received = await receiver.waitFor(1);
      assert.equal(received.length, 1);
      const { payload } = await jwtVerify(
        received[0] as string,
        createRemoteJWKSet(new URL(`${portico.url}/.well-known/jwks.json`)),
        { issuer: portico.url, audience: rp.id },
      );
      assert.equal(payload.sub, "bea");
      assert.equal(payload.sid, sid);
    });
  });
}

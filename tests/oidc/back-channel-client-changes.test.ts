/**
 * A back-channel logout delivery waits in the database between attempts
 * (server/logout/backchannel.ts). Meanwhile, on any instance, its client may
 * be deleted or given another receiver: the retry goes where the client says
 * now — nowhere for a deleted client, never to a receiver it gave up.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
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

for (const backend of BACKENDS) {
  describe(`back-channel logout retries follow the client as it is now (${backend})`, {
    timeout: 120_000,
  }, () => {
    /** Signs `subject` in to `client` with session `sid`, then ends that session; answers when the first attempt was made. */
    async function endSessionOf(portico: Portico, app: ConsentApp, client: TestClient, receiver: Receiver) {
      const sid = randomValue();
      const config = await relyingParty(portico, client);
      const browser = new Browser();
      const state = randomValue();
      const started = await browser.get(
        oidc.buildAuthorizationUrl(config, { redirect_uri: client.redirectUri, scope: "openid", state }).href,
      );
      const id = consentIdOf(started);
      const wire = await app.request(id);
      await app.accept(id, {
        subject: "grace",
        grantScopes: wire.requestedScopes,
        authTime: new Date().toISOString(),
        amr: ["pwd"],
        sid,
      });
      const back = await browser.get(wire.redirectUrl);
      await oidc.authorizationCodeGrant(config, new URL(back.headers.get("location") ?? ""), {
        expectedState: state,
      });
      const ended = await portico.call(`/oauth2/auth/sessions/login?sid=${sid}`, {
        method: "DELETE",
        token: app.token,
      });
      assert.equal(ended.status, 204);
      await receiver.waitFor(1);
    }

    /** Waits until the client has no delivery left: delivered, or dropped. */
    async function settled(db: ReturnType<typeof createDatabase>, clientId: string): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (await db.backchannelDelivery.count({ where: { clientId } })) > 0)
        await sleep(100);
      assert.equal(await db.backchannelDelivery.count({ where: { clientId } }), 0, "the delivery is settled");
    }

    test("a deleted client's failed delivery is dropped, and a moved receiver's goes to the new one", async () => {
      const database = await freshDatabase(backend);
      const portico = await startOAuth2Portico({ backend, env: { LOGOUT_URL }, databaseUrl: database.url });
      const db = createDatabase(database.url);
      const old = await new Receiver().start();
      const moved = await new Receiver().start();
      // Every first attempt fails; a retry to the old receiver would be taken.
      let calls = 0;
      old.answer = (res) => {
        calls += 1;
        res.writeHead(calls <= 2 ? 500 : 200).end();
      };
      try {
        const app = await ConsentApp.for(portico);
        const rootToken = await portico.rootToken("hydra.clients");

        const deleted = await registerClient(portico, { scope: "openid", backchannel_logout_uri: old.url });
        await endSessionOf(portico, app, deleted, old);
        const removal = await portico.call(`/clients/${deleted.id}`, { method: "DELETE", token: rootToken });
        assert.equal(removal.status, 204);
        await settled(db, deleted.id);
        assert.equal(old.tokens.length, 1, "no logout token for a deleted client after its deletion");

        const changing = await registerClient(portico, { scope: "openid", backchannel_logout_uri: old.url });
        await endSessionOf(portico, app, changing, old);
        const current = (await (
          await portico.call(`/clients/${changing.id}`, { token: rootToken })
        ).json()) as Record<string, unknown>;
        const changed = await portico.call(`/clients/${changing.id}`, {
          method: "PUT",
          token: rootToken,
          json: { ...current, client_secret: changing.secret, backchannel_logout_uri: moved.url },
        });
        assert.equal(changed.status, 200, await changed.text());
        const [token] = await moved.waitFor(1, 30_000);
        await settled(db, changing.id);
        assert.equal(old.tokens.length, 2, "the receiver the client gave up got nothing more");
        const payload = JSON.parse(
          Buffer.from((token as string).split(".")[1] as string, "base64url").toString(),
        );
        assert.equal(payload.aud, changing.id);
        assert.equal(payload.sub, "grace");
      } finally {
        await db.$disconnect();
        await portico.stop();
        await old.stop();
        await moved.stop();
        await database.drop();
      }
    });
  });
}

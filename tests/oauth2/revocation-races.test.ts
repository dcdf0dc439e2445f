/**
 * A revocation holds whatever runs beside it: a refresh, a code exchange or a
 * client_credentials request that commits while a revocation or a client
 * deletion is between its steps must not leave a working token behind. The
 * races are run many times over two workers and the invariant is checked
 * after every round, whichever side won it; the first suite checks each path
 * that accepts a token against the state such a race leaves (rows not
 * revoked, their grant marked revoked or their client gone).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  consentIdOf,
  credentialsOf,
  postForm,
  randomValue,
  registerClient,
  responseParams,
  sleep,
  startOAuth2Portico,
  type TestClient,
} from "./support.ts";

const ROUNDS = 12;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** An authorization for `subject` (openid offline profile): its code, not yet redeemed. */
async function codeFor(portico: Portico, consentApp: ConsentApp, client: TestClient, subject: string) {
  const { response } = await authorizeThrough(
    portico,
    consentApp,
    new Browser(),
    {
      response_type: "code",
      client_id: client.id,
      redirect_uri: client.redirectUri,
      scope: "openid offline profile",
      state: randomValue(),
    },
    { subject },
  );
  const code = responseParams(response, "query").get("code");
  assert.ok(code);
  return code;
}

function redeem(portico: Portico, client: TestClient, code: string) {
  return postForm(
    portico,
    "/oauth2/token",
    { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
    credentialsOf(client),
  );
}

function refresh(portico: Portico, client: TestClient, refreshToken: string) {
  return postForm(
    portico,
    "/oauth2/token",
    { grant_type: "refresh_token", refresh_token: refreshToken },
    credentialsOf(client),
  );
}

async function signIn(portico: Portico, consentApp: ConsentApp, client: TestClient, subject: string) {
  const code = await codeFor(portico, consentApp, client, subject);
  const tokens = await redeem(portico, client, code);
  assert.equal(tokens.status, 200, tokens.text);
  return { code, tokens: tokens.json as unknown as Tokens };
}

/** The 2017 introspection (as the root client) and the Hydra 2.x admin one agree on a token. */
async function introspected(portico: Portico, token: string): Promise<{ face2017: boolean; admin: boolean }> {
  const at2017 = await postForm(portico, "/oauth2/introspect", { token }, portico.root);
  assert.equal(at2017.status, 200, at2017.text);
  const admin = await fetch(`${portico.adminUrl}/admin/oauth2/introspect`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token }),
  });
  assert.equal(admin.status, 200);
  const body = (await admin.json()) as { active: boolean };
  return { face2017: at2017.json.active === true, admin: body.active };
}

async function userinfoStatus(portico: Portico, token: string): Promise<number> {
  const response = await portico.call("/userinfo", { token });
  await response.arrayBuffer();
  return response.status;
}

/** Nothing accepts the access token, and the refresh token neither introspects nor refreshes. */
async function assertDead(portico: Portico, client: TestClient, tokens: Partial<Tokens>, what: string) {
  if (tokens.access_token) {
    assert.deepEqual(
      await introspected(portico, tokens.access_token),
      { face2017: false, admin: false },
      `${what}: the access token introspects inactive`,
    );
    assert.equal(await userinfoStatus(portico, tokens.access_token), 401, `${what}: UserInfo refuses it`);
  }
  if (tokens.refresh_token) {
    assert.equal(
      (await introspected(portico, tokens.refresh_token)).admin,
      false,
      `${what}: the refresh token introspects inactive`,
    );
    const refreshed = await refresh(portico, client, tokens.refresh_token);
    assert.notEqual(refreshed.status, 200, `${what}: the refresh token is refused: ${refreshed.text}`);
  }
}

for (const backend of BACKENDS) {
  describe(`every path that accepts a token refuses one of a revoked grant or a deleted client (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let db: Database;
    let client: TestClient;
    const fields = {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      scope: "openid offline profile",
    };

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      client = await registerClient(portico, fields);
      db = createDatabase(portico.databaseUrl);
      const root = await portico.rootToken("hydra.policies");
      const policy = await portico.call("/policies", {
        token: root,
        json: {
          id: "marked-readers",
          subjects: ["<marked-.*>"],
          resources: ["rn:hydra:clients<.*>"],
          actions: ["get"],
          effect: "allow",
        },
      });
      assert.equal(policy.status, 201, await policy.text());
    });
    after(async () => {
      await db.$disconnect();
      await portico.stop();
    });

    /** The state a raced exchange leaves: its rows unrevoked, their grant marked revoked. */
    const markGrantsOf = async (subject: string) => {
      const grants = await db.authorizationGrant.findMany({ where: { subject }, select: { grantId: true } });
      assert.ok(grants.length > 0);
      await db.revokedGrant.createMany({
        data: grants.map(({ grantId }) => ({ grantId, revokedAt: new Date() })),
      });
    };

    test("a marked grant: introspection (both faces), UserInfo, the refresh and the code exchange refuse its tokens", async () => {
      const subject = `marked-${randomValue()}`;
      const { tokens } = await signIn(portico, consentApp, client, subject);
      const code = await codeFor(portico, consentApp, client, subject);
      assert.deepEqual(await introspected(portico, tokens.access_token), { face2017: true, admin: true });
      assert.equal((await introspected(portico, tokens.refresh_token)).admin, true);
      assert.equal(await userinfoStatus(portico, tokens.access_token), 200);

      await markGrantsOf(subject);
      await assertDead(portico, client, tokens, "a marked grant");
      const redeemed = await redeem(portico, client, code);
      assert.equal(redeemed.status, 400, redeemed.text);
      assert.equal(redeemed.json.error, "invalid_grant");
      // Only the mark refuses them: the rows themselves were never revoked.
      assert.ok((await db.accessToken.count({ where: { subject, revokedAt: null } })) > 0);
      assert.ok((await db.authorizationCode.count({ where: { subject, usedAt: null } })) > 0);
    });

    test("a marked grant: a client_credentials token is refused as a bearer token", async () => {
      const id = `marked-${randomValue()}`;
      const secret = "marked-secret-0123456789";
      const root = await portico.rootToken("hydra.clients");
      const created = await portico.call("/clients", {
        token: root,
        json: { id, client_secret: secret, grant_types: ["client_credentials"], scope: "hydra.clients" },
      });
      assert.equal(created.status, 201);
      const token = await portico.tokenFor(id, secret, "hydra.clients");
      assert.equal((await portico.call("/clients", { token })).status, 200);
      const row = await db.accessToken.findFirst({ where: { clientId: id }, select: { grantId: true } });
      assert.ok(row);
      await db.revokedGrant.create({ data: { grantId: row.grantId, revokedAt: new Date() } });
      assert.equal((await portico.call("/clients", { token })).status, 401);
      assert.deepEqual(await introspected(portico, token), { face2017: false, admin: false });
    });

    test("an implicit or hybrid response is refused for a subject deleted after the consent (access_denied)", async () => {
      const app = await registerClient(portico, {
        grant_types: ["authorization_code", "implicit", "refresh_token"],
        response_types: ["code", "token", "id_token"],
        scope: "openid offline profile",
      });
      const subject = `deleted-${randomValue()}`;
      const browser = new Browser();
      const started = await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code token",
          client_id: app.id,
          redirect_uri: app.redirectUri,
          scope: "openid profile",
          state: randomValue(),
          nonce: randomValue(),
        })}`,
      );
      const id = consentIdOf(started);
      const consent = await consentApp.request(id);
      const accepted = await consentApp.accept(id, { subject, grantScopes: consent.requestedScopes });
      assert.equal(accepted.status, 204);
      // Deleted between the decision and the browser's return, as a deletion racing it would be seen.
      await db.deletedSubject.create({ data: { subject } });
      const back = responseParams(await browser.get(consent.redirectUrl), "fragment");
      assert.equal(back.get("error"), "access_denied", back.get("error_description") ?? "");
      assert.equal(back.get("access_token"), null);
      assert.equal(back.get("code"), null);
      assert.equal(await db.accessToken.count({ where: { subject } }), 0);
      assert.equal(await db.authorizationGrant.count({ where: { subject } }), 0);
    });

    test("a client whose row is gone: its tokens are refused everywhere, whatever else is left", async () => {
      const id = `marked-${randomValue()}`;
      const secret = "marked-secret-0123456789";
      const root = await portico.rootToken("hydra.clients");
      const created = await portico.call("/clients", {
        token: root,
        json: { id, client_secret: secret, grant_types: ["client_credentials"], scope: "hydra.clients" },
      });
      assert.equal(created.status, 201);
      const ccToken = await portico.tokenFor(id, secret, "hydra.clients");
      const user = await registerClient(portico, fields);
      const { tokens } = await signIn(portico, consentApp, user, `gone-${randomValue()}`);
      assert.equal((await portico.call("/clients", { token: ccToken })).status, 200);

      // Only the client rows go (and the client revision moves, as on any client write); no token is
      // touched: what an insert that raced the deletion leaves behind.
      await db.$transaction([
        db.oAuth2Client.deleteMany({ where: { id: { in: [id, user.id] } } }),
        db.clientRevision.update({ where: { id: 1 }, data: { revision: { increment: 1 } } }),
      ]);
      assert.equal((await portico.call("/clients", { token: ccToken })).status, 401);
      assert.deepEqual(await introspected(portico, ccToken), { face2017: false, admin: false });
      await assertDead(portico, user, tokens, "a deleted client");

      // A client created again with the same ids does not bring them back: its creation clears
      // what the earlier one left.
      const again = await portico.call("/clients", {
        token: root,
        json: { id, client_secret: secret, grant_types: ["client_credentials"], scope: "hydra.clients" },
      });
      assert.equal(again.status, 201, await again.text());
      const userAgain = await portico.call("/clients", {
        token: root,
        json: { id: user.id, client_secret: user.secret, redirect_uris: [user.redirectUri], ...fields },
      });
      assert.equal(userAgain.status, 201, await userAgain.text());
      assert.equal((await portico.call("/clients", { token: ccToken })).status, 401);
      assert.deepEqual(await introspected(portico, ccToken), { face2017: false, admin: false });
      await assertDead(portico, user, tokens, "a client created again with the same id");
      assert.equal(await db.accessToken.count({ where: { clientId: { in: [id, user.id] } } }), 0);
      assert.equal(await db.refreshToken.count({ where: { clientId: user.id } }), 0);
      // The new client works as any other.
      const fresh = await portico.tokenFor(id, secret, "hydra.clients");
      assert.equal((await portico.call("/clients", { token: fresh })).status, 200);
    });
  });

  describe(`revocations racing token issuance leave no working token (${backend}, 2 workers)`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let client: TestClient;
    const fields = {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      scope: "openid offline profile",
    };

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { WORKERS: "2" } });
      consentApp = await ConsentApp.for(portico);
      client = await registerClient(portico, fields);
      const policy = await portico.call("/policies", {
        token: await portico.rootToken("hydra.policies"),
        json: {
          id: "racers-read-clients",
          subjects: ["<race-cc-.*>"],
          resources: ["rn:hydra:clients<.*>"],
          actions: ["get"],
          effect: "allow",
        },
      });
      assert.equal(policy.status, 201, await policy.text());
    });
    after(() => portico.stop());

    /**
     * Runs ROUNDS rounds of a refresh beside `revocation` (started 0–3 ms
     * later, to vary the interleaving), then checks that neither the first
     * tokens nor the refresh's (when it won) work any more.
     */
    const refreshBeside = async (
      name: string,
      setUp: (
        subject: string,
      ) => Promise<{ client: TestClient; tokens: Tokens; code: string; revoke: () => Promise<number> }>,
    ) => {
      let refreshed = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const subject = `racer-${randomValue()}`;
        const { client: racer, tokens, revoke } = await setUp(subject);
        const [fresh, revoked] = await Promise.all([
          refresh(portico, racer, tokens.refresh_token),
          sleep(round % 4).then(revoke),
        ]);
        assert.ok(revoked < 500, `${name}, round ${round}: the revocation answered ${revoked}`);
        await assertDead(portico, racer, tokens, `${name}, round ${round}, the first tokens`);
        if (fresh.status === 200) {
          refreshed++;
          await assertDead(
            portico,
            racer,
            fresh.json as unknown as Tokens,
            `${name}, round ${round}, refreshed`,
          );
        }
      }
      return refreshed;
    };

    const signedIn = async (subject: string, racer = client) => ({
      client: racer,
      ...(await signIn(portico, consentApp, racer, subject)),
    });

    test("a refresh beside the revocation of its refresh token (RFC 7009)", async (t) => {
      const won = await refreshBeside("RFC 7009", async (subject) => {
        const signed = await signedIn(subject);
        const revoke = async () =>
          (
            await postForm(
              portico,
              "/oauth2/revoke",
              { token: signed.tokens.refresh_token, token_type_hint: "refresh_token" },
              credentialsOf(client),
            )
          ).status;
        return { ...signed, revoke };
      });
      t.diagnostic(`the refresh answered 200 in ${won} of ${ROUNDS} rounds`);
    });

    test("a refresh beside the revocation of the person's consent", async (t) => {
      const won = await refreshBeside("consent revocation", async (subject) => {
        const signed = await signedIn(subject);
        const revoke = async () => {
          const response = await portico.call(`/oauth2/auth/sessions/consent/${subject}/${client.id}`, {
            method: "DELETE",
            token: consentApp.token,
          });
          assert.equal(response.status, 204);
          return response.status;
        };
        return { ...signed, revoke };
      });
      t.diagnostic(`the refresh answered 200 in ${won} of ${ROUNDS} rounds`);
    });

    test("a refresh beside a second redemption of the code (replay)", async (t) => {
      const won = await refreshBeside("code replay", async (subject) => {
        const signed = await signedIn(subject);
        const revoke = async () => {
          const replayed = await redeem(portico, client, signed.code);
          assert.equal(replayed.status, 400, replayed.text);
          return replayed.status;
        };
        return { ...signed, revoke };
      });
      t.diagnostic(`the refresh answered 200 in ${won} of ${ROUNDS} rounds`);
    });

    test("a refresh beside the reuse of the refresh token it rotated (reuse detection)", async (t) => {
      const won = await refreshBeside("reuse detection", async (subject) => {
        const signed = await signedIn(subject);
        const rotated = await refresh(portico, client, signed.tokens.refresh_token);
        assert.equal(rotated.status, 200, rotated.text);
        const stolen = signed.tokens.refresh_token;
        const revoke = async () => (await refresh(portico, client, stolen)).status;
        return { ...signed, tokens: rotated.json as unknown as Tokens, revoke };
      });
      t.diagnostic(`the refresh answered 200 in ${won} of ${ROUNDS} rounds`);
    });

    test("a refresh beside the deletion of its client", async (t) => {
      const root = await portico.rootToken("hydra.clients");
      const won = await refreshBeside("client deletion", async (subject) => {
        const signed = await signedIn(subject, await registerClient(portico, fields, root));
        const revoke = async () => {
          const response = await portico.call(`/clients/${signed.client.id}`, {
            method: "DELETE",
            token: root,
          });
          assert.equal(response.status, 204);
          return response.status;
        };
        return { ...signed, revoke };
      });
      t.diagnostic(`the refresh answered 200 in ${won} of ${ROUNDS} rounds`);
    });

    test("client_credentials requests beside the deletion of their client (and its policy's rights)", async (t) => {
      const root = await portico.rootToken("hydra.clients");
      const secret = "race-secret-0123456789";
      let issued = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const id = `race-cc-${randomValue()}`;
        const created = await portico.call("/clients", {
          token: root,
          json: { id, client_secret: secret, grant_types: ["client_credentials"], scope: "hydra.clients" },
        });
        assert.equal(created.status, 201);
        const before = await portico.tokenFor(id, secret, "hydra.clients");
        assert.equal((await portico.call("/clients", { token: before })).status, 200);
        const requests = Array.from({ length: 3 }, () =>
          postForm(
            portico,
            "/oauth2/token",
            { grant_type: "client_credentials", scope: "hydra.clients" },
            {
              id,
              secret,
            },
          ),
        );
        const deleted = sleep(round % 4).then(() =>
          portico.call(`/clients/${id}`, { method: "DELETE", token: root }),
        );
        const answers = await Promise.all(requests);
        assert.equal((await deleted).status, 204);
        const tokens = [
          before,
          ...answers.filter((a) => a.status === 200).map((a) => a.json.access_token as string),
        ];
        issued += tokens.length - 1;
        for (const token of tokens) {
          assert.deepEqual(
            await introspected(portico, token),
            { face2017: false, admin: false },
            `round ${round}: a token of the deleted client introspects inactive`,
          );
          const listed = await portico.call("/clients", { token });
          await listed.arrayBuffer();
          assert.equal(listed.status, 401, `round ${round}: a token of the deleted client is refused`);
        }
      }
      t.diagnostic(`${issued} tokens were issued beside ${ROUNDS} deletions`);
    });
  });
}

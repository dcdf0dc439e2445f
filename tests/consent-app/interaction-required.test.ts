/**
 * The consent app against another server of the 2017 API (HYDRA_URL, here a
 * fake one playing Hydra 1.0.0-alpha1, which never says
 * `interactionRequired`), over real HTTP through the compiled server
 * (`npm run build` first) on every backend: a remembered decision answers
 * for a public client only when the request's redirect URI proves which app
 * it is (https, or http on a loopback host); for a private-use scheme any
 * app could claim, the person is asked (RFC 6749 §10.2, RFC 8252 §8.6), as
 * Portico's own server makes it do.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { GrantStore } from "@/lib/consent/grants.ts";
import { UserStore } from "@/lib/users/store.ts";
import { type FakeHydraApi, startFakeHydraApi } from "@/tests/support/fake-hydra-api.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const CLIENT = "native-app";
const REDIRECTS = ["com.example.app:/cb", "https://native.example/cb", "http://127.0.0.1:8123/cb"];

/** The fake server: each consent id `n-<index>` names the redirect URI its request went with. */
async function startFakeApi(): Promise<FakeHydraApi & { accepted: string[] }> {
  const accepted: string[] = [];
  const fake = await startFakeHydraApi({
    client: ({ id }) =>
      id === CLIENT
        ? {
            status: 200,
            body: {
              id: CLIENT,
              client_name: "Native App",
              public: true,
              redirect_uris: REDIRECTS,
              grant_types: ["authorization_code"],
              response_types: ["code"],
              scope: "openid",
            },
          }
        : undefined,
    acceptConsent: ({ id }) => {
      accepted.push(id);
      return { status: 204 };
    },
    consentRequest: ({ id, origin }) => {
      const redirectUri = REDIRECTS[Number(id.split("-")[1])] ?? "";
      const query = new URLSearchParams({
        response_type: "code",
        client_id: CLIENT,
        redirect_uri: redirectUri,
        scope: "openid",
        state: "state-of-the-app",
        consent: id,
      });
      return {
        status: 200,
        body: {
          id,
          audience: CLIENT,
          requestedScopes: ["openid"],
          redirectUrl: `${origin}/oauth2/auth?${query}`,
          expiresAt: new Date(Date.now() + 600_000).toISOString(),
        },
      };
    },
  });
  return { ...fake, accepted };
}

for (const backend of BACKENDS) {
  describe(`remembered decisions for a public client of another server (${backend})`, {
    timeout: 180_000,
  }, () => {
    let fake: Awaited<ReturnType<typeof startFakeApi>>;
    let portico: Portico;
    let db: Database;
    let browser: PageClient;

    before(async () => {
      fake = await startFakeApi();
      portico = await startPortico({
        backend,
        compiled: true,
        env: {
          HYDRA_URL: fake.url,
          HYDRA_CLIENT_ID: "consent-app",
          HYDRA_CLIENT_SECRET: "consent-app-secret",
        },
      });
      db = createDatabase(portico.databaseUrl);
      const email = "native-remembered@example.com";
      const password = "a long passphrase for the native app";
      const person = await new UserStore(db).create({ email, password, name: "Native Remembered" });
      await new GrantStore(db).remember(person.id, CLIENT, ["openid"]);
      browser = new PageClient(portico.url, portico.url);
      const login = await browser.follow(await browser.get("/login"));
      const signedIn = await browser.submit(login.url ?? "/login", login.body, { email, password });
      assert.equal(signedIn.status, 303, `the sign-in form's answer: ${signedIn.body.slice(0, 500)}`);
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
      await fake?.stop();
    });

    test("a private-use scheme any app could claim: the person is asked, nothing is accepted", async () => {
      const answer = await browser.get(`/consent?consent=n-0-${backend}`);
      assert.equal(answer.status, 303);
      assert.match(answer.location ?? "", /^\/consent\/ask\?/, `went to ${answer.location}`);
      // The consent screen, which decides again, shows the request rather than answering it.
      const screen = await browser.get(answer.location ?? "");
      assert.equal(screen.status, 200);
      assert.match(screen.body, /Native App/);
      assert.deepEqual(fake.accepted, []);
    });

    test("https or a loopback host proves the app: the remembered decision answers", async () => {
      for (const index of [1, 2]) {
        const id = `n-${index}-${backend}`;
        const answer = await browser.get(`/consent?consent=${id}`);
        assert.equal(answer.status, 303);
        assert.ok(answer.location?.startsWith(`${fake.url}/oauth2/auth?`), `went to ${answer.location}`);
        assert.ok(fake.accepted.includes(id));
      }
    });
  });
}

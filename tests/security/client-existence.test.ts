/**
 * Client authentication (the token endpoint, /oauth2/revoke, /oauth2/introspect) must not tell
 * whether a client id exists by how long a refusal takes. The timing is bcrypt's, so the test
 * counts bcrypt verifications instead of measuring time: a refused secret must cost as many for
 * an unknown id, or a client without a secret, as for a confidential client, whatever its shape
 * (too long for bcrypt, percent-encoded so that Basic reads it twice).
 *
 * Before the fix a secret over 72 bytes was refused for a known client without any
 * verification (6 ms median) but cost a dummy one for an unknown id (197 ms), and a
 * percent-encoded secret cost two for a known client (383 ms) but one for an unknown id (192 ms).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { verify } from "@node-rs/bcrypt";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { oAuth2ClientInput } from "@/server/clients/schemas.ts";
import { ClientStore } from "@/server/clients/store.ts";
import { ClientAuthenticator } from "@/server/oauth2/client-auth.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

const SECRET = "known-secret-0123456789abcdefghij";

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`, "utf8").toString("base64")}`;

for (const backend of BACKENDS) {
  describe(`a refused client authentication costs the same for every client id (${backend})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let verifications = 0;
    let authenticator: ClientAuthenticator;

    before(async () => {
      const database = await freshDatabase(backend);
      drop = database.drop;
      await migrate(database.url);
      db = createDatabase(database.url);
      const clients = new ClientStore(db, 4);
      await clients.create(
        oAuth2ClientInput.parse({ id: "known", client_secret: SECRET, grant_types: ["client_credentials"] }),
      );
      await clients.create(
        oAuth2ClientInput.parse({
          id: "public-app",
          public: true,
          redirect_uris: ["https://app.example.com/cb"],
        }),
      );
      authenticator = new ClientAuthenticator(clients, Buffer.alloc(32), 4, (secret, hash) => {
        verifications++;
        return verify(secret, hash);
      });
    });
    after(async () => {
      await db.$disconnect();
      await drop();
    });

    /** How many bcrypt verifications a refused attempt spent. */
    async function costOf(authorization: string | undefined, form: Record<string, string> = {}) {
      verifications = 0;
      await assert.rejects(authenticator.authenticate(authorization, new Map(Object.entries(form))), {
        message: "Client authentication failed",
      });
      return verifications;
    }

    const secrets = {
      "a short wrong secret": "wrong",
      "a secret bcrypt cannot read (over 72 bytes)": "x".repeat(100),
      "a percent-encoded secret (two readings)": "a%20wrong%20secret",
    };

    for (const [shape, secret] of Object.entries(secrets)) {
      test(`HTTP Basic with ${shape}`, async () => {
        const known = await costOf(basic("known", secret));
        assert.equal(await costOf(basic("nobody-here", secret)), known, "an unknown client id");
        assert.equal(await costOf(basic("public-app", secret)), known, "a public client");
      });

      test(`client_secret_post with ${shape}`, async () => {
        const known = await costOf(undefined, { client_id: "known", client_secret: secret });
        assert.equal(
          await costOf(undefined, { client_id: "nobody-here", client_secret: secret }),
          known,
          "an unknown client id",
        );
        assert.equal(
          await costOf(undefined, { client_id: "public-app", client_secret: secret }),
          known,
          "a public client",
        );
      });
    }

    test("the right secret still authenticates, and a readable wrong one is verified", async () => {
      assert.equal((await authenticator.authenticate(basic("known", SECRET), new Map())).id, "known");
      assert.ok((await costOf(basic("known", "wrong"))) >= 1);
    });
  });
}

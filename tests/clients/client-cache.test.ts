import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database, rawQueries } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import type { RawQueries } from "@/db/raw.ts";
import { oAuth2ClientInput } from "@/server/clients/schemas.ts";
import { ClientStore } from "@/server/clients/store.ts";
import { Snapshot, StaleSnapshot } from "@/server/http/snapshot.ts";
import { PolicyStore } from "@/server/policies/store.ts";
import { AccessTokens } from "@/server/tokens/access-tokens.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

const KEY = Buffer.alloc(32, 7);

/** One process's view: its own connection, client cache and token store. */
function processOn(db: Database) {
  const clients = new ClientStore(db, 4);
  const tokens = new AccessTokens(db, KEY, 3_600_000);
  const policies = new PolicyStore(db);
  const reads = {
    tokenWithRevisions: (token: string) => tokens.findActiveWithRevisions(token),
    clientRevision: () => clients.revision(),
    policyRevision: () => policies.revision(),
  };
  return {
    clients,
    tokens,
    db,
    /** A new request's snapshot, as every API request gets one. */
    request: () => new Snapshot(reads),
    /** The client_credentials grant's first try: kept clients, confirmed by the insert. */
    keptClients: () => new Snapshot(reads, { keepsClients: true, confirmsWrites: true }),
    /** Its second try: clients checked now, the insert still conditional. */
    checkedClients: () => new Snapshot(reads, { confirmsWrites: true }),
  };
}

for (const backend of BACKENDS) {
  describe(`client cache across processes (${backend})`, () => {
    let dbA: Database;
    let dbB: Database;
    let drop: () => Promise<void>;

    before(async () => {
      const database = await freshDatabase(backend);
      drop = database.drop;
      await migrate(database.url);
      dbA = createDatabase(database.url);
      dbB = createDatabase(database.url);
    });
    after(async () => {
      await dbA.$disconnect();
      await dbB.$disconnect();
      await drop();
    });

    const input = (name: string, secret?: string) =>
      oAuth2ClientInput.parse({
        id: "cached-client",
        client_name: name,
        grant_types: ["client_credentials"],
        ...(secret ? { client_secret: secret } : {}),
      });

    /** What a request on B reads in its one statement with the token. */
    async function revisionOn(b: ReturnType<typeof processOn>): Promise<number> {
      const { revisions } = await b.tokens.findActiveWithRevisions("no-such-token");
      assert.ok(revisions);
      return revisions.clientRevision;
    }

    test("every client write moves the revision read with the token, even for an unknown token", async () => {
      const a = processOn(dbA);
      const b = processOn(dbB);
      const r0 = await revisionOn(b);
      await a.clients.create(input("first", "cache-secret-0123456789abcdef"));
      const r1 = await revisionOn(b);
      assert.ok(r1 > r0);
      await a.clients.update("cached-client", input("second"));
      const r2 = await revisionOn(b);
      assert.ok(r2 > r1);
      const raw = rawQueries(dbB) as RawQueries;
      const { client, clientRevision } = await raw.clientWithRevision("cached-client");
      assert.equal(client?.name, "second");
      assert.equal(clientRevision, r2);
      assert.deepEqual(await raw.clientWithRevision("nobody"), { client: null, clientRevision: r2 });
      const { token, policyRevision } = await raw.accessTokenWithRevisions("nothing");
      assert.equal(token, null);
      assert.equal(typeof policyRevision, "number");
    });

    test("a client written through one process is seen at once by another's cache", async () => {
      const a = processOn(dbA);
      const b = processOn(dbB);
      // Each request's snapshot reads the revisions with its (here unknown) bearer token, as the guard does.
      const request = async () => {
        const snapshot = b.request();
        await snapshot.token("no-such-token");
        return snapshot;
      };
      const before = await b.clients.get("cached-client", await request());
      assert.equal(before?.name, "second");
      // Unchanged revision: B answers from its cache.
      assert.equal(await b.clients.get("cached-client", await request()), before);

      await a.clients.update("cached-client", input("third", "rotated-secret-0123456789abcdef"));
      const seen = await b.clients.get("cached-client", await request());
      assert.equal(seen?.name, "third");
      assert.notEqual(seen?.secretHash, before?.secretHash, "the rotated secret's hash");

      assert.equal(await a.clients.delete("cached-client"), true);
      assert.equal(await b.clients.get("cached-client", await request()), null, "deleted at once");

      await a.clients.create(input("reborn", "reborn-secret-0123456789abcdef"));
      assert.equal((await b.clients.get("cached-client", await request()))?.name, "reborn");
    });

    // Only PostgreSQL confirms the client revision in the token insert itself.
    if (backend === "postgresql")
      test("a token issued against a kept client is refused when a client write moved the revision", async () => {
        const a = processOn(dbA);
        const b = processOn(dbB);
        assert.ok(b.tokens.confirmsClientRevision);
        const row = { grantId: "g", clientId: "cached-client", subject: "cached-client", scopes: [] };
        const first = b.checkedClients();
        assert.ok(await b.clients.get("cached-client", first));
        const issued = await b.tokens.issue(row, first);
        assert.equal((await b.tokens.findActive(issued.token))?.subject, "cached-client");

        // The next request takes the kept client without reading anything; a write on A moves the revision.
        const stale = b.keptClients();
        assert.equal((await b.clients.get("cached-client", stale))?.name, "reborn");
        await a.clients.update("cached-client", input("rotated again", "another-secret-0123456789abcdef"));
        await assert.rejects(b.tokens.issue(row, stale), StaleSnapshot);
        assert.equal(await stale.keptClientsMoved(), true);
        const count = await dbB.accessToken.count({ where: { clientId: "cached-client" } });
        assert.equal(count, 1, "nothing was written for the stale client");
        const fresh = b.checkedClients();
        assert.equal((await b.clients.get("cached-client", fresh))?.name, "rotated again");
        const again = await b.tokens.issue(row, fresh);
        assert.equal((await b.tokens.findActive(again.token))?.subject, "cached-client");
      });

    // Only PostgreSQL confirms the client revision in the token insert itself.
    if (backend === "postgresql")
      test("tokens issued together go out together, each group all or nothing by its revision", async () => {
        const b = processOn(dbB);
        assert.ok(b.tokens.confirmsClientRevision);
        const current = b.checkedClients();
        await b.clients.get("cached-client", current);
        // A snapshot whose clients were read before the last client write.
        const old = b.keptClients();
        old.handedOut((await b.clients.revision()) - 1, false);
        const row = { grantId: "g", clientId: "cached-client", subject: "grouped", scopes: ["a", "b"] };
        const results = await Promise.allSettled([
          ...Array.from({ length: 12 }, () => b.tokens.issue(row, current)),
          b.tokens.issue(row, old),
        ]);
        const stale = results.pop();
        assert.equal(stale?.status, "rejected");
        assert.ok(stale?.status === "rejected" && stale.reason instanceof StaleSnapshot);
        for (const result of results) {
          assert.equal(result.status, "fulfilled");
          const found = result.status === "fulfilled" ? await b.tokens.findActive(result.value.token) : null;
          assert.deepEqual(found?.scopes, ["a", "b"]);
          assert.equal(found?.subject, "grouped");
        }
        assert.equal(await dbB.accessToken.count({ where: { subject: "grouped" } }), 12);
      });

    test("lookups made together each get their own token and the current revisions", async () => {
      const a = processOn(dbA);
      const b = processOn(dbB);
      const row = { grantId: "g", clientId: "cached-client", subject: "looked-up", scopes: [] };
      const one = await a.tokens.issue({ ...row, scopes: ["one"] });
      const two = await a.tokens.issue({ ...row, scopes: ["two"] });
      const before = await revisionOn(b);
      const found = await Promise.all(
        [one.token, "unknown", two.token, one.token, ""].map((token) =>
          b.tokens.findActiveWithRevisions(token),
        ),
      );
      assert.deepEqual(
        found.map((result) => result.token?.scopes ?? null),
        [["one"], null, ["two"], ["one"], null],
      );
      for (const result of found) assert.equal(result.revisions?.clientRevision, before);
      await a.tokens.revoke(two.token, "cached-client");
      const [again] = await Promise.all([
        b.tokens.findActiveWithRevisions(two.token),
        b.tokens.findActiveWithRevisions(one.token),
      ]);
      assert.equal(again.token, null, "revoked through A, inactive through B at once");
    });

    test("policy revision reads made together see a write committed just before them", async () => {
      const raw = rawQueries(dbB) as RawQueries;
      const before = await raw.policyRevision(1);
      await dbA.policyRevision.upsert({
        where: { id: 1 },
        create: { id: 1, revision: before + 1 },
        update: { revision: { increment: 1 } },
      });
      const reads = await Promise.all(Array.from({ length: 5 }, () => raw.policyRevision(1)));
      assert.deepEqual(reads, Array(5).fill(before + 1));
    });

    test("without a snapshot, a kept client is checked against the revision read now", async () => {
      const a = processOn(dbA);
      const b = processOn(dbB);
      const kept = await b.clients.get("cached-client");
      assert.equal(await b.clients.get("cached-client"), kept, "unchanged: the kept copy");
      await a.clients.update("cached-client", input("renamed", "renamed-secret-0123456789abcdef"));
      const seen = await b.clients.get("cached-client");
      assert.equal(seen?.name, "renamed");
      assert.notEqual(seen?.secretHash, kept?.secretHash);
      await a.clients.delete("cached-client");
      assert.equal(await b.clients.get("cached-client"), null);
    });
  });
}

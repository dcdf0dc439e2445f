import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

for (const backend of BACKENDS) {
  describe(`clients API access control (${backend})`, () => {
    let portico: Portico;
    let root: string;

    async function client(id: string, scope: string): Promise<string> {
      const response = await portico.call("/clients", {
        token: root,
        json: { id, client_secret: `${id}-secret-0123456789`, grant_types: ["client_credentials"], scope },
      });
      assert.equal(response.status, 201);
      return portico.tokenFor(id, `${id}-secret-0123456789`);
    }

    async function policy(body: Record<string, unknown>) {
      const response = await portico.call("/policies", { token: root, json: body });
      assert.equal(response.status, 201, await response.clone().text());
    }

    before(async () => {
      portico = await startPortico({ backend });
      root = await portico.rootToken();
      await portico.call("/clients", { token: root, json: { id: "owned-by-alice", owner: "alice" } });
      await portico.call("/clients", { token: root, json: { id: "owned-by-bob", owner: "bob" } });
    });
    after(() => portico.stop());

    test("no token or an unknown token is 401 on every client operation", async () => {
      const operations: Array<[string, string, unknown?]> = [
        ["GET", "/clients"],
        ["POST", "/clients", { id: "x" }],
        ["GET", "/clients/owned-by-alice"],
        ["PUT", "/clients/owned-by-alice", { client_name: "x" }],
        ["DELETE", "/clients/owned-by-alice"],
      ];
      for (const token of [undefined, "not-a-token"]) {
        for (const [method, path, json] of operations) {
          const response = await portico.call(path, { method, token, json });
          assert.equal(response.status, 401, `${method} ${path}`);
          const body = (await response.json()) as { error: { code: number } };
          assert.equal(body.error.code, 401);
        }
      }
      assert.equal((await portico.call("/clients/owned-by-alice", { token: root })).status, 200);
    });

    test("a token without hydra.clients is 403", async () => {
      const keysOnly = await portico.rootToken("hydra.keys.get");
      assert.equal((await portico.call("/clients", { token: keysOnly })).status, 403);
      assert.equal((await portico.call("/clients/owned-by-alice", { token: keysOnly })).status, 403);
    });

    test("a token with the scope but no policy is 403, also for an unknown id", async () => {
      const token = await client("no-policy", "hydra.clients");
      assert.equal((await portico.call("/clients", { token })).status, 403);
      assert.equal((await portico.call("/clients/owned-by-alice", { token })).status, 403);
      assert.equal((await portico.call("/clients/does-not-exist", { token })).status, 403);
      assert.equal((await portico.call("/clients", { token, json: { id: "nope" } })).status, 403);
      assert.equal((await portico.call("/clients/nope", { token: root })).status, 404, "nothing was written");
    });

    test("the owner condition: a client may manage only the clients it owns", async () => {
      const token = await client("alice", "hydra.*");
      await policy({
        id: "alice-owns",
        subjects: ["alice"],
        resources: ["rn:hydra:clients", "rn:hydra:clients:<.*>"],
        actions: ["get", "create", "update", "delete"],
        effect: "allow",
        conditions: { owner: { type: "EqualsSubjectCondition" } },
      });
      assert.equal((await portico.call("/clients/owned-by-alice", { token })).status, 200);
      assert.equal((await portico.call("/clients/owned-by-bob", { token })).status, 403);
      assert.equal(
        (await portico.call("/clients", { token, json: { id: "alice-2", owner: "alice" } })).status,
        201,
      );
      assert.equal(
        (await portico.call("/clients", { token, json: { id: "bob-2", owner: "bob" } })).status,
        403,
      );
      const transfer = await portico.call("/clients/owned-by-alice", {
        method: "PUT",
        token,
        json: { owner: "bob" },
      });
      assert.equal(transfer.status, 403, "giving a client away needs permission for the new owner too");
      assert.equal((await portico.call("/clients/owned-by-bob", { method: "DELETE", token })).status, 403);
      assert.equal((await portico.call("/clients/alice-2", { method: "DELETE", token })).status, 204);
    });

    test("a deny policy overrides an allow", async () => {
      const token = await client("carol", "hydra.clients");
      await policy({
        id: "carol-reads",
        subjects: ["carol"],
        resources: ["rn:hydra:clients:<.*>"],
        actions: ["get"],
        effect: "allow",
      });
      await policy({
        id: "carol-not-bob",
        subjects: ["carol"],
        resources: ["rn:hydra:clients:owned-by-bob"],
        actions: ["<.*>"],
        effect: "deny",
      });
      assert.equal((await portico.call("/clients/owned-by-alice", { token })).status, 200);
      assert.equal((await portico.call("/clients/owned-by-bob", { token })).status, 403);
    });
  });
}

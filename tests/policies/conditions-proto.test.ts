/**
 * Condition keys that a plain JavaScript object treats specially. A
 * condition keyed `__proto__` used to vanish in parsing, which left its
 * policy allowing without it; it is refused now, on POST and PUT, and nothing
 * changes. `constructor`, `prototype` and the like are kept exactly, and the
 * warden reads the request context's own keys only, so such a condition is
 * unfulfilled unless the context really holds the key.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const SUBJECT = "lowpriv";
const SECRET = "lowpriv-secret-0123456789";

for (const backend of BACKENDS) {
  describe(`policy conditions keyed like Object.prototype members (${backend})`, () => {
    let portico: Portico;
    let root: string;
    let token: string;

    /** Raw JSON text: an object literal keyed "__proto__" would set its prototype instead. */
    const sendPolicy = (method: string, path: string, json: string) =>
      fetch(`${portico.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${root}`, "content-type": "application/json" },
        body: json,
      });

    const read = (client: string) => portico.call(`/clients/${client}`, { token });

    before(async () => {
      portico = await startPortico({ backend });
      root = await portico.rootToken();
      for (const json of [
        { id: SUBJECT, client_secret: SECRET, grant_types: ["client_credentials"], scope: "hydra.clients" },
        { id: "own-app", owner: SUBJECT },
        { id: "victim-app", owner: "someone-else" },
      ]) {
        const response = await portico.call("/clients", { token: root, json });
        assert.equal(response.status, 201, await response.text());
      }
      token = await portico.tokenFor(SUBJECT, SECRET, "hydra.clients");
    });
    after(() => portico.stop());

    async function removePolicy(id: string): Promise<void> {
      assert.equal((await portico.call(`/policies/${id}`, { method: "DELETE", token: root })).status, 204);
    }

    const readOwn = (keyed: string) =>
      `{"id":"reads","subjects":["${SUBJECT}"],"resources":["rn:hydra:clients:<.*>"],"actions":["get"],` +
      `"effect":"allow","conditions":{"${keyed}":{"type":"EqualsSubjectCondition"}}}`;

    test("a condition keyed __proto__ is refused on POST and writes nothing", async () => {
      const response = await sendPolicy("POST", "/policies", readOwn("__proto__"));
      const text = await response.text();
      assert.equal(response.status, 400, text);
      assert.match((JSON.parse(text) as { error: { message: string } }).error.message, /__proto__/);
      assert.equal((await portico.call("/policies/reads", { token: root })).status, 404);
      assert.equal((await read("victim-app")).status, 403);
      assert.equal((await read("own-app")).status, 403);
    });

    test("a PUT that keys a condition __proto__ is refused and leaves the policy as it was", async () => {
      assert.equal((await sendPolicy("POST", "/policies", readOwn("owner"))).status, 201);
      const stored = await (await portico.call("/policies/reads", { token: root })).text();
      assert.equal((await read("own-app")).status, 200);
      assert.equal((await read("victim-app")).status, 403);
      const response = await sendPolicy("PUT", "/policies/reads", readOwn("__proto__"));
      assert.equal(response.status, 400, await response.text());
      assert.equal(await (await portico.call("/policies/reads", { token: root })).text(), stored);
      assert.equal((await read("victim-app")).status, 403, "the owner condition still holds");
      assert.equal((await read("own-app")).status, 200);
      await removePolicy("reads");
    });

    test("conditions keyed constructor, prototype, toString … are kept exactly", async () => {
      const keys = ["constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];
      const conditions = Object.fromEntries(
        keys.map((key) => [key, { type: "StringEqualCondition", options: { equals: key } }]),
      );
      const body = JSON.stringify({ id: "odd-keys", effect: "deny", conditions });
      const created = await sendPolicy("POST", "/policies", body);
      assert.equal(created.status, 201, await created.clone().text());
      assert.deepEqual(((await created.json()) as { conditions: unknown }).conditions, conditions);
      const got = (await (await portico.call("/policies/odd-keys", { token: root })).json()) as {
        conditions: unknown;
      };
      assert.deepEqual(got.conditions, conditions);
      await removePolicy("odd-keys");
    });

    test("the warden never reads an inherited context key", async () => {
      for (const key of ["constructor", "toString", "prototype"]) {
        assert.equal((await sendPolicy("POST", "/policies", readOwn(key))).status, 201, key);
        assert.equal((await read("own-app")).status, 403, `${key}: the context has no such own key`);
        assert.equal((await read("victim-app")).status, 403, key);
        await removePolicy("reads");
      }
      // A deny conditioned on an inherited key never applies: the context does not hold it.
      assert.equal((await sendPolicy("POST", "/policies", readOwn("owner"))).status, 201);
      const deny =
        `{"id":"deny-inherited","subjects":["${SUBJECT}"],"resources":["rn:hydra:clients:<.*>"],` +
        `"actions":["get"],"effect":"deny","conditions":{"constructor":{"type":"StringMatchCondition","options":{"matches":".*"}}}}`;
      assert.equal((await sendPolicy("POST", "/policies", deny)).status, 201);
      assert.equal((await read("own-app")).status, 200);
      await removePolicy("deny-inherited");
      await removePolicy("reads");
    });
  });
}

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const POLICY_FIELDS = ["actions", "conditions", "description", "effect", "id", "resources", "subjects"];

interface PolicyBody {
  id: string;
  description: string;
  subjects: string[];
  effect: string;
  resources: string[];
  actions: string[];
  conditions: Record<string, { type: string; options: Record<string, unknown> }>;
}

interface ErrorBody {
  error: { code: number; status: string; message: string };
}

async function errorOf(response: Response, status: number): Promise<ErrorBody["error"]> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  const body = JSON.parse(text) as ErrorBody;
  assert.equal(body.error.code, status);
  assert.equal(typeof body.error.status, "string");
  assert.equal(typeof body.error.message, "string");
  return body.error;
}

for (const backend of BACKENDS) {
  describe(`policies API (${backend})`, () => {
    let portico: Portico;
    let root: string;

    /** A client_credentials client with the given scope, and a token for it. */
    async function client(id: string, scope: string): Promise<string> {
      const response = await portico.call("/clients", {
        token: root,
        json: { id, client_secret: `${id}-secret-0123456789`, grant_types: ["client_credentials"], scope },
      });
      assert.equal(response.status, 201, await response.clone().text());
      return portico.tokenFor(id, `${id}-secret-0123456789`);
    }

    async function create(body: Record<string, unknown>): Promise<PolicyBody> {
      const response = await portico.call("/policies", { token: root, json: body });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as PolicyBody;
    }

    async function remove(id: string): Promise<void> {
      const response = await portico.call(`/policies/${encodeURIComponent(id)}`, {
        method: "DELETE",
        token: root,
      });
      assert.equal(response.status, 204);
    }

    before(async () => {
      portico = await startPortico({ backend });
      root = await portico.rootToken();
    });
    after(() => portico.stop());

    test("create, fetch, update and delete a policy", async () => {
      const body = {
        id: "readers",
        description: "May read clients",
        subjects: ["alice", "<team-.*>"],
        effect: "allow",
        resources: ["rn:hydra:clients:<.*>"],
        actions: ["get"],
        conditions: {
          owner: { type: "EqualsSubjectCondition", options: {} },
          ip: { type: "CIDRCondition", options: { cidr: "10.0.0.0/8" } },
        },
        unknown_field: "ignored",
      };
      const created = await portico.call("/policies", { token: root, json: body });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get("location"), "/policies/readers");
      const policy = (await created.json()) as PolicyBody & { unknown_field?: unknown };
      assert.deepEqual(Object.keys(policy).sort(), POLICY_FIELDS);
      const { unknown_field: _, ...expected } = body;
      assert.deepEqual(policy, expected);

      const fetched = await portico.call("/policies/readers", { token: root });
      assert.equal(fetched.status, 200);
      assert.deepEqual(await fetched.json(), expected);

      const replacement = {
        description: "now a deny",
        subjects: ["mallory"],
        effect: "deny",
        actions: ["<.*>"],
      };
      const updated = await portico.call("/policies/readers", {
        method: "PUT",
        token: root,
        json: replacement,
      });
      assert.equal(updated.status, 200);
      const after = {
        id: "readers",
        description: "now a deny",
        subjects: ["mallory"],
        effect: "deny",
        resources: [],
        actions: ["<.*>"],
        conditions: {},
      };
      assert.deepEqual(await updated.json(), after);
      assert.deepEqual(await (await portico.call("/policies/readers", { token: root })).json(), after);

      const sameId = await portico.call("/policies/readers", {
        method: "PUT",
        token: root,
        json: { ...after, id: "readers", effect: "allow" },
      });
      assert.equal(sameId.status, 200);
      assert.equal(((await sameId.json()) as PolicyBody).effect, "allow");

      // The 2017 SDK sends DELETE with a JSON content type and no body.
      const deleted = await portico.call("/policies/readers", {
        method: "DELETE",
        token: root,
        headers: { "content-type": "application/json" },
      });
      assert.equal(deleted.status, 204);
      assert.equal(await deleted.text(), "");
      await errorOf(await portico.call("/policies/readers", { token: root }), 404);
    });

    test("without an id a UUID is generated, and every field is answered", async () => {
      const created = await portico.call("/policies", { token: root, json: { effect: "deny" } });
      assert.equal(created.status, 201);
      const policy = (await created.json()) as PolicyBody;
      assert.match(policy.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(created.headers.get("location"), `/policies/${policy.id}`);
      assert.deepEqual(policy, {
        id: policy.id,
        description: "",
        subjects: [],
        effect: "deny",
        resources: [],
        actions: [],
        conditions: {},
      });
      await remove(policy.id);
    });

    test("ids with reserved characters round-trip through the Location header", async () => {
      const id = "team red:readers";
      const created = await portico.call("/policies", { token: root, json: { id, effect: "allow" } });
      assert.equal(created.status, 201);
      const location = created.headers.get("location") as string;
      assert.equal(location, "/policies/team%20red%3Areaders");
      const fetched = await portico.call(location, { token: root });
      assert.equal(fetched.status, 200);
      assert.equal(((await fetched.json()) as PolicyBody).id, id);
      await remove(id);
    });

    test("a duplicate id is 409 and leaves the first policy as it was", async () => {
      await create({ id: "twice", description: "first", effect: "allow" });
      const again = await portico.call("/policies", {
        token: root,
        json: { id: "twice", description: "second", effect: "deny" },
      });
      await errorOf(again, 409);
      const kept = (await (await portico.call("/policies/twice", { token: root })).json()) as PolicyBody;
      assert.equal(kept.description, "first");
      assert.equal(kept.effect, "allow");
      await remove("twice");
    });

    const badBodies: Array<[name: string, body: string]> = [
      ["malformed JSON", '{"effect": "allow",'],
      ["an empty body", ""],
      ["a JSON array", "[]"],
      ["a missing effect", JSON.stringify({ id: "bad" })],
      ["an unknown effect", JSON.stringify({ id: "bad", effect: "permit" })],
      ["an invalid regexp", JSON.stringify({ id: "bad", effect: "allow", resources: ["rn:hydra:<(>"] })],
      ["unbalanced delimiters", JSON.stringify({ id: "bad", effect: "allow", subjects: ["<.*"] })],
      ["a non-array subjects", JSON.stringify({ id: "bad", effect: "allow", subjects: "alice" })],
      [
        "an unknown condition",
        JSON.stringify({ id: "bad", effect: "allow", conditions: { a: { type: "Magic" } } }),
      ],
      [
        "an invalid CIDR",
        JSON.stringify({
          id: "bad",
          effect: "allow",
          conditions: { ip: { type: "CIDRCondition", options: { cidr: "10.0.0.0" } } },
        }),
      ],
      [
        "an invalid StringMatchCondition regexp",
        JSON.stringify({
          id: "bad",
          effect: "allow",
          conditions: { a: { type: "StringMatchCondition", options: { matches: "[" } } },
        }),
      ],
    ];
    for (const [name, body] of badBodies) {
      test(`POST and PUT with ${name} are 400 and write nothing`, async () => {
        await create({ id: "target", effect: "allow", actions: ["get"] });
        for (const [method, path] of [
          ["POST", "/policies"],
          ["PUT", "/policies/target"],
        ] as const) {
          // Raw text, so malformed JSON reaches the server as it is.
          const raw = await fetch(`${portico.url}${path}`, {
            method,
            headers: { authorization: `Bearer ${root}`, "content-type": "application/json" },
            body,
          });
          await errorOf(raw, 400);
        }
        await errorOf(await portico.call("/policies/bad", { token: root }), 404);
        const target = (await (await portico.call("/policies/target", { token: root })).json()) as PolicyBody;
        assert.deepEqual(target.actions, ["get"]);
        await remove("target");
      });
    }

    test("PUT with an id that differs from the path is 400", async () => {
      await create({ id: "pinned", effect: "allow" });
      const response = await portico.call("/policies/pinned", {
        method: "PUT",
        token: root,
        json: { id: "other", effect: "deny" },
      });
      await errorOf(response, 400);
      await errorOf(await portico.call("/policies/other", { token: root }), 404);
      await remove("pinned");
    });

    test("an unknown id is 404 for get, update and delete", async () => {
      await errorOf(await portico.call("/policies/nope", { token: root }), 404);
      await errorOf(
        await portico.call("/policies/nope", { method: "PUT", token: root, json: { effect: "allow" } }),
        404,
      );
      await errorOf(await portico.call("/policies/nope", { method: "DELETE", token: root }), 404);
    });

    test("the list is a JSON array that pages with offset and limit", async () => {
      for (const n of [1, 2, 3, 4, 5]) await create({ id: `paged-${n}`, effect: "allow" });
      const everything = await portico.call("/policies?_=1700000000000", { token: root });
      assert.equal(everything.status, 200);
      const all = ((await everything.json()) as PolicyBody[]).map((policy) => policy.id);
      for (const n of [1, 2, 3, 4, 5]) assert.ok(all.includes(`paged-${n}`));

      const pages: string[] = [];
      for (let offset = 0; offset < all.length; offset += 2) {
        const page = await portico.call(`/policies?offset=${offset}&limit=2`, { token: root });
        assert.equal(page.status, 200);
        const ids = ((await page.json()) as PolicyBody[]).map((policy) => policy.id);
        assert.ok(ids.length <= 2);
        pages.push(...ids);
      }
      assert.deepEqual(pages, all);

      const beyond = await portico.call(`/policies?offset=${all.length}`, { token: root });
      assert.equal(beyond.status, 200);
      assert.equal(await beyond.text(), "[]");
      const none = await portico.call("/policies?limit=0", { token: root });
      assert.deepEqual(await none.json(), []);
      await errorOf(await portico.call("/policies?offset=-1", { token: root }), 400);
      await errorOf(await portico.call("/policies?limit=ten", { token: root }), 400);
      for (const n of [1, 2, 3, 4, 5]) await remove(`paged-${n}`);
    });

    const operations: Array<[method: string, path: string, json?: unknown]> = [
      ["GET", "/policies"],
      ["POST", "/policies", { id: "guarded", effect: "allow" }],
      ["GET", "/policies/guarded"],
      ["PUT", "/policies/guarded", { effect: "deny" }],
      ["DELETE", "/policies/guarded"],
    ];

    test("no token or an unknown token is 401 on every policy operation", async () => {
      for (const token of [undefined, "not-a-token"]) {
        for (const [method, path, json] of operations) {
          const response = await portico.call(path, { method, token, json });
          await errorOf(response, 401);
        }
      }
      await errorOf(await portico.call("/policies/guarded", { token: root }), 404);
    });

    test("a token without hydra.policies is 403 on every policy operation", async () => {
      const clientsOnly = await portico.rootToken("hydra.clients");
      for (const [method, path, json] of operations) {
        await errorOf(await portico.call(path, { method, token: clientsOnly, json }), 403);
      }
      await errorOf(await portico.call("/policies/guarded", { token: root }), 404);
    });

    test("a client whose policies do not allow is 403; each operation needs its own resource and action", async () => {
      const token = await client("policy-clerk", "hydra.policies");
      for (const [method, path, json] of operations) {
        await errorOf(await portico.call(path, { method, token, json }), 403);
      }
      await create({ id: "clerk-target", effect: "allow" });
      await create({ id: "clerk-other", effect: "allow" });
      const grant = (resource: string, action: string) =>
        create({
          id: `clerk-${action}`,
          subjects: ["policy-clerk"],
          resources: [resource],
          actions: [action],
          effect: "allow",
        });

      await grant("rn:hydra:policies:clerk-target", "get");
      assert.equal((await portico.call("/policies/clerk-target", { token })).status, 200);
      await errorOf(await portico.call("/policies/clerk-other", { token }), 403);
      await errorOf(await portico.call("/policies", { token }), 403);

      await grant("rn:hydra:policies", "list");
      assert.equal((await portico.call("/policies", { token })).status, 200);

      await errorOf(
        await portico.call("/policies", { token, json: { id: "clerk-new", effect: "allow" } }),
        403,
      );
      await grant("rn:hydra:policies", "create");
      assert.equal(
        (await portico.call("/policies", { token, json: { id: "clerk-new", effect: "allow" } })).status,
        201,
      );

      // Hydra's API documents update on rn:hydra:policies, not on the policy's own resource.
      await grant("rn:hydra:policies:<.*>", "update");
      await errorOf(
        await portico.call("/policies/clerk-new", { method: "PUT", token, json: { effect: "deny" } }),
        403,
      );
      await remove("clerk-update");
      await grant("rn:hydra:policies", "update");
      assert.equal(
        (await portico.call("/policies/clerk-new", { method: "PUT", token, json: { effect: "deny" } }))
          .status,
        200,
      );

      // Hydra's API documents delete on rn:hydra:policies:<id>.
      await grant("rn:hydra:policies", "delete");
      await errorOf(await portico.call("/policies/clerk-new", { method: "DELETE", token }), 403);
      await remove("clerk-delete");
      await grant("rn:hydra:policies:clerk-new", "delete");
      assert.equal((await portico.call("/policies/clerk-new", { method: "DELETE", token })).status, 204);

      for (const id of [
        "clerk-target",
        "clerk-other",
        "clerk-get",
        "clerk-list",
        "clerk-create",
        "clerk-update",
      ]) {
        await remove(id);
      }
      await remove("clerk-delete");
    });

    test("a deny policy applies to the very next call, and deleting it restores access", async () => {
      const token = await client("eve", "hydra.policies hydra.clients");
      await create({
        id: "eve-may-all",
        subjects: ["eve"],
        resources: ["rn:hydra:<.*>"],
        actions: ["<.*>"],
        effect: "allow",
      });
      assert.equal((await portico.call("/policies", { token })).status, 200);
      assert.equal((await portico.call("/clients", { token })).status, 200);

      await create({
        id: "eve-not-policies",
        subjects: ["eve"],
        resources: ["rn:hydra:policies", "rn:hydra:policies:<.*>"],
        actions: ["<.*>"],
        effect: "deny",
      });
      await errorOf(await portico.call("/policies", { token }), 403);
      await errorOf(await portico.call("/policies/eve-may-all", { token }), 403);
      await errorOf(await portico.call("/policies/eve-not-policies", { method: "DELETE", token }), 403);
      assert.equal((await portico.call("/clients", { token })).status, 200, "the deny covers only policies");

      await remove("eve-not-policies");
      assert.equal((await portico.call("/policies", { token })).status, 200);
      await remove("eve-may-all");
      await errorOf(await portico.call("/policies", { token }), 403);
    });

    test("a second process on the same database applies a write at once", async () => {
      const token = await client("watcher", "hydra.policies");
      const second = await startPortico({
        backend,
        databaseUrl: portico.databaseUrl,
        env: { FORCE_ROOT_CLIENT_CREDENTIALS: `${portico.root.id}:${portico.root.secret}` },
      });
      try {
        // Both processes answer (and cache) the policy set before the write.
        await errorOf(await second.call("/policies/watched", { token }), 403);
        await errorOf(await portico.call("/policies/watched", { token }), 403);

        const written = await second.call("/policies", {
          token: root,
          json: {
            id: "watched",
            subjects: ["watcher"],
            resources: ["rn:hydra:policies:watched"],
            actions: ["get"],
            effect: "allow",
          },
        });
        assert.equal(written.status, 201);
        assert.equal((await portico.call("/policies/watched", { token })).status, 200);
        assert.equal((await second.call("/policies/watched", { token })).status, 200);

        const removed = await portico.call("/policies/watched", { method: "DELETE", token: root });
        assert.equal(removed.status, 204);
        await errorOf(await second.call("/policies/watched", { token }), 403);
      } finally {
        await second.stop();
      }
    });
  });
}

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { ClientStore } from "@/server/clients/store.ts";
import { ClientAuthenticator } from "@/server/oauth2/client-auth.ts";
import { BACKENDS, freshDatabase, type Portico, startPortico } from "@/tests/support/server.ts";

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

async function clientCredentials(portico: Portico, id: string, secret: string): Promise<Response> {
  return fetch(`${portico.url}/oauth2/token`, {
    method: "POST",
    headers: { authorization: basic(id, secret), "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
}

for (const backend of BACKENDS) {
  describe(`hardened admin input (${backend})`, () => {
    let portico: Portico;
    let root: string;

    before(async () => {
      portico = await startPortico({ backend });
      root = await portico.rootToken();
    });
    after(() => portico.stop());

    const createClient = (json: Record<string, unknown>) =>
      portico.call("/clients", { token: root, json: { grant_types: ["client_credentials"], ...json } });

    test("a deny policy cannot be bypassed with separators or controls in a path id (finding 4)", async () => {
      const keyAdmin = "key-admin";
      const secret = "key-admin-secret-0123456789";
      assert.equal(
        (await createClient({ id: keyAdmin, client_secret: secret, scope: "hydra.keys.update" })).status,
        201,
      );
      for (const policy of [
        {
          id: "keys-allow",
          subjects: [keyAdmin],
          resources: ["rn:hydra:keys:<[^:]+>:<[^:]+>"],
          actions: ["update"],
          effect: "allow",
        },
        {
          id: "keys-deny-protected",
          subjects: [keyAdmin],
          resources: ["rn:hydra:keys:sr-protected:<.*>"],
          actions: ["update"],
          effect: "deny",
        },
      ]) {
        assert.equal((await portico.call("/policies", { token: root, json: policy })).status, 201);
      }
      const token = await portico.tokenFor(keyAdmin, secret, "hydra.keys.update");
      const jwk = { kty: "oct", k: Buffer.alloc(32, 7).toString("base64url"), alg: "HS256" };
      const put = (kid: string) =>
        portico.call(`/keys/sr-protected/${kid}`, { method: "PUT", token, json: jwk });
      assert.equal((await put("ab")).status, 403, "the deny policy holds for a plain kid");
      for (const kid of ["a%E2%80%A8b", "a%E2%80%A9b", "a%0Db", "a%0Ab", "a%C2%85b"]) {
        const response = await put(kid);
        assert.equal(response.status, 400, kid);
        assert.equal(((await response.json()) as { error: { code: number } }).error.code, 400);
      }
      assert.equal((await put("x")).status, 403);
      assert.equal(
        (await portico.call("/keys/other-set/a%E2%80%A8b", { method: "PUT", token, json: jwk })).status,
        400,
      );
      // Every id that goes into a resource name: key set, kid, policy id, client id.
      for (const path of [
        "/keys/a%E2%80%A8b",
        "/keys/s/a%0Db",
        "/policies/p%E2%80%A8x",
        "/clients/c%E2%80%A8x",
      ]) {
        assert.equal((await portico.call(path, { token: root })).status, 400, path);
        assert.equal((await portico.call(path, { method: "DELETE", token: root })).status, 400, path);
      }
      const policy = await portico.call("/policies", {
        token: root,
        json: { id: "p\u2028x", subjects: ["x"], resources: ["x"], actions: ["x"], effect: "allow" },
      });
      assert.equal(policy.status, 400);
    });

    test("generated keys: no secret under a public… kid (finding 8)", async () => {
      for (const kid of ["public", "public-2", "publicity"]) {
        for (const alg of ["HS256", "HS512"]) {
          const response = await portico.call("/keys/macs", { token: root, json: { alg, kid } });
          assert.equal(response.status, 400, `${alg} ${kid}`);
        }
      }
      assert.equal((await portico.call("/keys/macs/public", { token: root })).status, 404);
      assert.equal(
        (await portico.call("/keys/macs", { token: root, json: { alg: "HS256", kid: "mac" } })).status,
        201,
      );
      assert.equal(
        (await portico.call("/keys/pairs", { token: root, json: { alg: "RS256", kid: "public" } })).status,
        201,
      );
    });

    test("redirect URIs: exact as parsed, https, loopback http, private-use schemes (finding 9)", async () => {
      const refused = [
        "https://rp.example/cb\r\nx",
        "https://rp.example/c\nb",
        "https://rp.example/a b",
        "https://rp.example",
        "HTTPS://rp.example/cb",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/html,x",
        "http://rp.example/cb",
        "myapp:/cb",
        "https://rp.example/cb#frag",
      ];
      for (const uri of refused) {
        const response = await createClient({ redirect_uris: [uri], grant_types: ["authorization_code"] });
        assert.equal(response.status, 400, JSON.stringify(uri));
      }
      const accepted = [
        "https://rp.example/cb",
        "https://rp.example/cb?tenant=a",
        "http://127.0.0.1:8080/cb",
        "http://localhost/cb",
        "http://[::1]:9000/cb",
        "com.example.app:/oauth2redirect",
      ];
      const response = await createClient({
        redirect_uris: accepted,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid",
      });
      assert.equal(response.status, 201, await response.clone().text());
      const { id } = (await response.json()) as { id: string };
      const auth = await fetch(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: id,
          redirect_uri: "com.example.app:/oauth2redirect",
          scope: "openid",
          state: "abcdefgh",
        })}`,
        { redirect: "manual" },
      );
      assert.equal(auth.status, 302);
    });

    test("client names with bidirectional overrides are refused (finding 16)", async () => {
      for (const name of ["\u202Egnp.exe", "Bank\u2066 of\u2069", "A\u200Fpp", "line\nbreak"]) {
        assert.equal((await createClient({ client_name: name })).status, 400, JSON.stringify(name));
      }
      assert.equal((await createClient({ client_name: "Café 東京 App" })).status, 201);
    });

    test("client secrets: at least 16 characters, at most 72 bytes (finding 7)", async () => {
      assert.equal((await createClient({ client_secret: "only-12-char" })).status, 400);
      assert.equal((await createClient({ client_secret: "é".repeat(37) })).status, 400, "74 bytes");
      const ok = await createClient({ id: "sixteen", client_secret: "exactly-16-chars" });
      assert.equal(ok.status, 201);
      const accented = await createClient({ id: "accented", client_secret: "é".repeat(36) });
      assert.equal(accented.status, 201);
      assert.equal((await clientCredentials(portico, "accented", "é".repeat(36))).status, 200);
      assert.equal((await clientCredentials(portico, "accented", `${"é".repeat(36)}anything`)).status, 401);
      const updated = await portico.call("/clients/sixteen", {
        method: "PUT",
        token: root,
        json: { grant_types: ["client_credentials"], client_secret: "short" },
      });
      assert.equal(updated.status, 400);
    });
  });
}

describe("failed client authentication is throttled (finding 7)", () => {
  let portico: Portico;
  before(async () => {
    portico = await startPortico();
  });
  after(() => portico.stop());

  test("per client: after 20 failures even the right secret waits, with 429 and Retry-After", async () => {
    const root = await portico.rootToken();
    const secret = "the-right-secret-0123456789";
    await portico.call("/clients", {
      token: root,
      json: { id: "target", client_secret: secret, grant_types: ["client_credentials"] },
    });
    for (let i = 0; i < 20; i++) {
      assert.equal((await clientCredentials(portico, "target", `wrong-${i}-secret-value`)).status, 401);
    }
    const throttled = await clientCredentials(portico, "target", secret);
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
    assert.equal(((await throttled.json()) as { error: string }).error, "invalid_client");
    // Another client is not held back by it.
    assert.equal((await clientCredentials(portico, portico.root.id, portico.root.secret)).status, 200);
  });

  test("per address: unknown client ids count against the caller's address too", async () => {
    let last = 0;
    for (let i = 0; i < 120 && last !== 429; i++) {
      last = (await clientCredentials(portico, `nobody-${i}`, "some-wrong-secret-value")).status;
    }
    assert.equal(last, 429);
    assert.equal((await clientCredentials(portico, portico.root.id, portico.root.secret)).status, 429);
  });
});

for (const backend of BACKENDS) {
  describe(`concurrent client authentications get no more checks than the buckets hold (${backend})`, () => {
    let portico: Portico;
    before(async () => {
      // A real bcrypt cost: the checks of a burst overlap, as they do in production.
      portico = await startPortico({ backend, env: { BCRYPT_COST: "10" } });
    });
    after(() => portico.stop());

    test("200 wrong secrets at once: the bucket's 20 are checked (401), the rest are 429 before any check", async () => {
      const root = await portico.rootToken();
      const secret = "the-right-secret-0123456789";
      for (const id of ["guessed", "busy"]) {
        const created = await portico.call("/clients", {
          token: root,
          json: { id, client_secret: secret, grant_types: ["client_credentials"] },
        });
        assert.equal(created.status, 201);
      }
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          clientCredentials(portico, "guessed", `wrong-${i}-secret-value`).then(
            (response) => response.status,
          ),
        ),
      );
      // 20, and one more for every 3 s the burst takes to answer on a loaded machine (before: all 200).
      const checked = statuses.filter((status) => status === 401).length;
      assert.ok(checked >= 20 && checked <= 30, `${checked} secrets were checked`);
      assert.equal(statuses.filter((status) => status === 429).length, 200 - checked);
      // A client's own first requests, all at once, are not refused by each other's reservations.
      const own = await Promise.all(
        Array.from({ length: 60 }, () =>
          clientCredentials(portico, "busy", secret).then((response) => response.status),
        ),
      );
      assert.deepEqual(own, Array<number>(60).fill(200));
    });
  });
}

describe("unknown client ids cost a full bcrypt verification (finding 7)", () => {
  test("the authenticator checks the presented secret against a dummy hash", async () => {
    const fresh = await freshDatabase("sqlite");
    await migrate(fresh.url);
    const db = createDatabase(fresh.url);
    try {
      const authenticator = new ClientAuthenticator(new ClientStore(db, 4), Buffer.alloc(32), 4);
      await assert.rejects(authenticator.authenticate(basic("nobody", "a-secret-value-here"), new Map()), {
        message: "Client authentication failed",
      });
      const dummy = await (authenticator as unknown as { dummyHash: Promise<string> | undefined }).dummyHash;
      assert.match(
        dummy ?? "",
        /^\$2[aby]\$04\$/,
        "a bcrypt hash of the configured cost was verified against",
      );
    } finally {
      await db.$disconnect();
      await fresh.drop();
    }
  });
});

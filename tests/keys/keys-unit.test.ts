import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
} from "jose";
import type { Logger } from "@/common/log.ts";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { ApiError } from "@/server/http/errors.ts";
import { GENERATED_ALGORITHMS, generateKeys } from "@/server/keys/generate.ts";
import { generatedPairKid, idTokenKeys, type StoredKey } from "@/server/keys/id-token-keys.ts";
import { checkJsonWebKey, type Jwk, jsonWebKey, keyMaterial } from "@/server/keys/schemas.ts";
import { ID_TOKEN_KEY_SET, KeyStore } from "@/server/keys/store.ts";
import { deriveKey } from "@/server/tokens/secrets.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

/** A logger that keeps its lines, to count what the store logged. */
function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, error: write, warn: write, info: write, debug: write };
}

const quiet = recorder();

const EXPECTED = {
  RS256: { kty: "RSA", alg: "RS256" },
  ES256: { kty: "EC", alg: "ES256", crv: "P-256" },
  ES512: { kty: "EC", alg: "ES512", crv: "P-521" },
  ES521: { kty: "EC", alg: "ES512", crv: "P-521" },
  HS256: { kty: "oct", alg: "HS256", bytes: 32 },
  HS512: { kty: "oct", alg: "HS512", bytes: 64 },
} as const;

async function signAndVerify(signWith: Jwk, verifyWith: Jwk): Promise<void> {
  const alg = signWith.alg as string;
  const jwt = await new SignJWT({ sub: "alice" })
    .setProtectedHeader({ alg, kid: verifyWith.kid })
    .sign(await importJWK(keyMaterial(signWith), alg));
  const { payload } = await jwtVerify(jwt, await importJWK(keyMaterial(verifyWith), alg));
  assert.equal(payload.sub, "alice");
}

const rejected = (status: number) => (error: unknown) => error instanceof ApiError && error.code === status;

describe("key generation", () => {
  for (const alg of GENERATED_ALGORITHMS) {
    const expected = EXPECTED[alg];
    test(`${alg}: the keys carry kid, alg ${expected.alg} and use sig, and sign and verify`, async () => {
      const keys = await generateKeys(alg, "k1");
      for (const key of keys) {
        assert.equal(key.kty, expected.kty);
        assert.equal(key.alg, expected.alg);
        assert.equal(key.use, "sig");
        if ("crv" in expected) assert.equal(key.crv, expected.crv);
        await checkJsonWebKey(key);
      }
      if (expected.kty === "oct") {
        assert.equal(keys.length, 1);
        const [secret] = keys as [Jwk];
        assert.equal(secret.kid, "k1");
        assert.equal(Buffer.from(secret.k as string, "base64url").length, expected.bytes);
        await signAndVerify(secret, secret);
        return;
      }
      assert.equal(keys.length, 2);
      const [privateKey, publicKey] = keys as [Jwk, Jwk];
      assert.equal(privateKey.kid, "private:k1");
      assert.equal(publicKey.kid, "public:k1");
      assert.ok(privateKey.d, "the private JWK holds d");
      assert.equal(publicKey.d, undefined);
      if (expected.kty === "RSA") {
        assert.equal(Buffer.from(publicKey.n as string, "base64url").length * 8, 2048);
        assert.equal(publicKey.p, undefined);
      }
      await signAndVerify(privateKey, publicKey);
    });
  }

  test("an empty kid names a pair private/public and a secret with a random UUID", async () => {
    assert.deepEqual(
      (await generateKeys("ES256", "")).map((key) => key.kid),
      ["private", "public"],
    );
    const [first] = await generateKeys("HS256", "");
    const [second] = await generateKeys("HS256", "");
    assert.match(first?.kid as string, /^[0-9a-f-]{36}$/);
    assert.notEqual(first?.kid, second?.kid);
  });
});

describe("key validation", () => {
  let ec: { privateJwk: Jwk; publicJwk: Jwk };
  let rsa: { privateJwk: Jwk; publicJwk: Jwk };
  before(async () => {
    const [ecPrivate, ecPublic] = await generateKeys("ES256", "");
    const [rsaPrivate, rsaPublic] = await generateKeys("RS256", "");
    ec = { privateJwk: ecPrivate as Jwk, publicJwk: ecPublic as Jwk };
    rsa = { privateJwk: rsaPrivate as Jwk, publicJwk: rsaPublic as Jwk };
  });

  test("the schema refuses a missing or unknown kty and members that are not base64url", () => {
    const { kty: _, ...withoutKty } = ec.publicJwk;
    for (const body of [
      withoutKty,
      { ...ec.publicJwk, kty: "DSA" },
      { ...ec.publicJwk, x: "not base64url!" },
      { ...ec.publicJwk, y: "padded==" },
      { ...ec.publicJwk, kid: "" },
      { ...ec.publicJwk, kid: "tab\tkid" },
    ]) {
      assert.equal(jsonWebKey.safeParse(body).success, false, JSON.stringify(body));
    }
  });

  test("the schema drops unknown members", () => {
    const parsed = jsonWebKey.parse({ ...ec.publicJwk, ext: true, secret: "x" });
    assert.deepEqual(Object.keys(parsed).sort(), Object.keys(ec.publicJwk).sort());
  });

  const cases: Array<[string, () => Jwk]> = [
    ["the wrong curve", () => ({ ...ec.publicJwk, crv: "P-384", alg: undefined })],
    ["a curve that contradicts alg", () => ({ ...ec.publicJwk, alg: "ES512" })],
    ["an unsupported curve", () => ({ ...ec.publicJwk, crv: "secp256k1", alg: undefined })],
    ["a missing crv", () => ({ ...ec.publicJwk, crv: undefined, alg: undefined })],
    ["a truncated coordinate", () => ({ ...ec.publicJwk, x: (ec.publicJwk.x as string).slice(4) })],
    ["a point off the curve", () => ({ ...ec.publicJwk, y: ec.publicJwk.x })],
    ["an alg of another key type", () => ({ ...ec.publicJwk, alg: "RS256" })],
    ["an unknown alg", () => ({ ...ec.publicJwk, alg: "XX999" })],
    ["an RSA key without e", () => ({ ...rsa.publicJwk, e: undefined })],
    ["a 1024-bit RSA modulus", () => ({ ...rsa.publicJwk, n: (rsa.publicJwk.n as string).slice(0, 171) })],
    ["RSA private members without d", () => ({ ...rsa.privateJwk, d: undefined })],
    ["a private d that does not fit", () => ({ ...ec.privateJwk, d: "AAAA" })],
    ["an oct key without k", () => ({ kty: "oct", kid: "s" })],
    ["an HS256 secret shorter than 32 bytes", () => ({ kty: "oct", kid: "s", alg: "HS256", k: "c2hvcnQ" })],
    ["an oct key naming RS256", () => ({ kty: "oct", kid: "s", alg: "RS256", k: "c2VjcmV0" })],
    ["an oct key naming ES256", () => ({ kty: "oct", kid: "s", alg: "ES256", k: "c2VjcmV0" })],
    ["an oct key naming EdDSA", () => ({ kty: "oct", kid: "s", alg: "EdDSA", k: "c2VjcmV0" })],
    ["an oct key naming RSA-OAEP", () => ({ kty: "oct", kid: "s", alg: "RSA-OAEP", k: "c2VjcmV0" })],
    ["a public key whose kid starts with private", () => ({ ...ec.publicJwk, kid: "private:x" })],
    ["a private key whose kid starts with public", () => ({ ...ec.privateJwk, kid: "public" })],
    ["a secret whose kid starts with public", () => ({ kty: "oct", kid: "public:s", k: "c2VjcmV0" })],
  ];
  for (const [name, make] of cases) {
    test(`refuses ${name} (400)`, async () => {
      await assert.rejects(checkJsonWebKey(make()), rejected(400));
    });
  }

  test("accepts generated keys, keys without alg, encryption keys and OKP keys", async () => {
    const ed = await generateKeyPair("Ed25519", { extractable: true });
    for (const key of [
      rsa.privateJwk,
      rsa.publicJwk,
      { ...ec.publicJwk, alg: undefined, kid: "no-alg" },
      { ...rsa.publicJwk, use: "enc", alg: "RSA-OAEP-256", key_ops: ["encrypt"] },
      jsonWebKey.parse({ ...(await exportJWK(ed.publicKey)), kid: "ed" }),
      jsonWebKey.parse({ ...(await exportJWK(ed.privateKey)), kid: "private:ed" }),
      { kty: "oct" as const, kid: "s", k: "c2VjcmV0" },
      { kty: "oct" as const, kid: "kw", alg: "A256KW", k: "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" },
      { kty: "oct" as const, kid: "dir", alg: "dir", k: "c2VjcmV0" },
    ]) {
      await checkJsonWebKey(key);
    }
  });
});

const [rsaPrivate, rsaPublic] = (await generateKeys("RS256", "")) as [Jwk, Jwk];
const [newerPrivate, newerPublic] = (await generateKeys("RS256", "x")) as [Jwk, Jwk];
const [ecPrivate] = (await generateKeys("ES256", "")) as [Jwk];
const [secret] = (await generateKeys("HS256", "mac")) as [Jwk];

describe("which key of the ID-token set signs, and what is published", () => {
  const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
  const stored = (kid: string, jwk: Jwk | undefined, second: number, secret = true): StoredKey => ({
    kid,
    secret,
    jwk: jwk && { ...jwk, kid },
    createdAt: at(second),
  });
  const pair = [stored("private", rsaPrivate, 0), stored("public", rsaPublic, 0, false)];

  const cases: Array<{ name: string; keys: StoredKey[]; signs?: [string, string]; published: string[] }> = [
    { name: "an empty set: nothing signs", keys: [], published: [] },
    { name: "the bootstrap pair", keys: pair, signs: ["private", "public"], published: ["public"] },
    {
      name: "a newer 2.x key (one private key, its own kid)",
      keys: [...pair, stored("rotated-1", newerPrivate, 5)],
      signs: ["rotated-1", "rotated-1"],
      published: ["rotated-1", "public"],
    },
    {
      name: "a newer 2017 pair",
      keys: [...pair, stored("private:x", newerPrivate, 5), stored("public:x", newerPublic, 5, false)],
      signs: ["private:x", "public:x"],
      published: ["public:x", "public"],
    },
    { name: "public keys only: nothing signs", keys: [pair[1] as StoredKey], published: ["public"] },
    {
      name: "private without its public twin: published under the twin's kid",
      keys: [pair[0] as StoredKey],
      signs: ["private", "public"],
      published: ["public"],
    },
    {
      name: "private whose twin is another key: published under its own kid",
      keys: [stored("private", rsaPrivate, 0), stored("public", newerPublic, 0, false)],
      signs: ["private", "private"],
      published: ["private", "public"],
    },
    {
      name: "a newer key of another algorithm, or a secret, does not sign",
      keys: [...pair, stored("ec", ecPrivate, 5), stored("mac", secret, 6)],
      signs: ["private", "public"],
      published: ["public", "ec"],
    },
    {
      name: "a newer RSA key for encryption does not sign",
      keys: [...pair, stored("enc", { ...newerPrivate, use: "enc" }, 5)],
      signs: ["private", "public"],
      published: ["public", "enc"],
    },
    {
      name: "the same instant: kid order decides",
      keys: [stored("b", newerPrivate, 3), stored("a", rsaPrivate, 3)],
      signs: ["a", "a"],
      published: ["a", "b"],
    },
  ];
  for (const { name, keys, signs, published } of cases) {
    test(name, () => {
      const chosen = idTokenKeys(keys);
      assert.equal(chosen.problem, undefined);
      assert.deepEqual(chosen.signing && [chosen.signing.privateKid, chosen.signing.kid], signs);
      assert.deepEqual(
        chosen.published.keys.map((key) => key.kid),
        published,
      );
      for (const key of chosen.published.keys) {
        assert.equal(key.d, undefined, `${key.kid} is public`);
        assert.notEqual(key.kty, "oct");
      }
    });
  }

  test("the published half verifies what its private key signs", async () => {
    const { signing, published } = idTokenKeys([stored("rotated-1", newerPrivate, 5)]);
    assert.ok(signing);
    const jwt = await new SignJWT({ sub: "alice" })
      .setProtectedHeader({ alg: "RS256", kid: signing.kid })
      .sign(await importJWK(keyMaterial(signing.jwk), "RS256"));
    assert.equal((await jwtVerify(jwt, createLocalJWKSet(published as never))).payload.sub, "alice");
  });

  test("a newest key that cannot be decrypted is a problem, not skipped", () => {
    const chosen = idTokenKeys([...pair, stored("rotated-1", undefined, 5)]);
    assert.equal(chosen.signing, undefined);
    assert.match(chosen.problem ?? "", /rotated-1 cannot be decrypted/);
    assert.deepEqual(
      chosen.published.keys.map((key) => key.kid),
      ["public"],
    );
  });

  test("a generated pair takes private/public, else the first free private:<n>/public:<n>", () => {
    assert.equal(generatedPairKid([]), "");
    assert.equal(generatedPairKid(["rotated-1", "ec"]), "");
    assert.equal(generatedPairKid(["public"]), "2");
    assert.equal(generatedPairKid(["private", "public:2", "private:3"]), "4");
  });
});

for (const backend of BACKENDS) {
  describe(`KeyStore (${backend})`, () => {
    const encryptionKey = deriveKey("unit-test-system-secret", "jwk-encryption");
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    let db: Database;
    let store: KeyStore;

    before(async () => {
      database = await freshDatabase(backend);
      await migrate(database.url);
      db = createDatabase(database.url);
      store = new KeyStore(db, encryptionKey, quiet);
    });
    after(async () => {
      await db.$disconnect();
      await database.drop();
    });

    test("a private key is stored encrypted: the row holds no private member in clear", async () => {
      const [privateJwk, publicJwk] = await store.generate("unit-rsa", "RS256", "a");
      const privateRow = await db.jsonWebKey.findUnique({
        where: { set_kid: { set: "unit-rsa", kid: "private:a" } },
      });
      assert.ok(privateRow?.encrypted);
      for (const member of ["d", "p", "q", "dp", "dq", "qi"] as const) {
        const value = privateJwk?.[member] as string;
        assert.ok(value && !privateRow.material.includes(value), `${member} is not in the row`);
      }
      assert.ok(!privateRow.material.includes('"kty"'), "the row is not JSON");
      const publicRow = await db.jsonWebKey.findUnique({
        where: { set_kid: { set: "unit-rsa", kid: "public:a" } },
      });
      assert.equal(publicRow?.encrypted, false);
      assert.deepEqual(JSON.parse(publicRow?.material as string), publicJwk);
      assert.deepEqual(await store.getKey("unit-rsa", "private:a"), privateJwk);
    });

    test("a symmetric key is stored encrypted too", async () => {
      const [secret] = await store.generate("unit-hs", "HS512", "mac");
      const row = await db.jsonWebKey.findUnique({ where: { set_kid: { set: "unit-hs", kid: "mac" } } });
      assert.ok(row?.encrypted);
      assert.ok(!row.material.includes(secret?.k as string));
    });

    test("another SYSTEM_SECRET cannot read the private keys", async () => {
      const other = new KeyStore(db, deriveKey("another-system-secret", "jwk-encryption"), quiet);
      await assert.rejects(other.getKey("unit-rsa", "private:a"), /SYSTEM_SECRET/);
      assert.ok(await other.getKey("unit-rsa", "public:a"), "public keys need no secret");
    });

    test("generate: 409 for a kid the set holds, 400 for an unknown alg, nothing written", async () => {
      await assert.rejects(store.generate("unit-rsa", "ES256", "a"), rejected(409));
      await assert.rejects(store.generate("unit-new", "RS512", "x"), rejected(400));
      assert.deepEqual(
        (await store.getSet("unit-rsa")).map((key) => key.kid),
        ["private:a", "public:a"],
      );
      assert.deepEqual(await store.getSet("unit-new"), []);
    });

    test("replaceSet swaps the whole set; invalid or duplicate keys change nothing", async () => {
      const [privateJwk, publicJwk] = await generateKeys("ES256", "b");
      await assert.rejects(
        store.replaceSet("unit-rsa", [privateJwk as Jwk, { ...(publicJwk as Jwk), crv: "P-521" }]),
        rejected(400),
      );
      await assert.rejects(store.replaceSet("unit-rsa", [publicJwk as Jwk, publicJwk as Jwk]), rejected(400));
      await assert.rejects(store.replaceSet("unit-rsa", []), rejected(400));
      assert.equal((await store.getSet("unit-rsa")).length, 2);
      await store.replaceSet("unit-rsa", [privateJwk as Jwk, publicJwk as Jwk]);
      assert.deepEqual(
        (await store.getSet("unit-rsa")).map((key) => key.kid),
        ["private:b", "public:b"],
      );
    });

    test("putKey creates and replaces one key; deletes answer whether something was there", async () => {
      const [first] = await generateKeys("HS256", "one");
      const [second] = await generateKeys("HS256", "one");
      await store.putKey("unit-put", { ...(first as Jwk), kid: "one" });
      await store.putKey("unit-put", { ...(second as Jwk), kid: "one" });
      assert.deepEqual(await store.getSet("unit-put"), [second]);
      assert.equal(await store.deleteKey("unit-put", "one"), true);
      assert.equal(await store.deleteKey("unit-put", "one"), false);
      assert.equal(await store.deleteSet("unit-rsa"), true);
      assert.equal(await store.deleteSet("unit-rsa"), false);
    });

    test("putKey: writes of one new key at once all succeed, and one of them is what is stored", async () => {
      const otherDb = createDatabase(database.url);
      try {
        const stores = [store, new KeyStore(otherDb, encryptionKey, quiet)];
        for (let round = 0; round < 6; round++) {
          const keys = await Promise.all(
            Array.from({ length: 6 }, async () => (await generateKeys("HS256", "same"))[0] as Jwk),
          );
          const written = await Promise.allSettled(
            keys.map((key, i) => stores[i % 2]!.putKey(`unit-race-${round}`, { ...key, kid: "same" })),
          );
          assert.deepEqual(
            written.map((result) => result.status),
            keys.map(() => "fulfilled"),
            `round ${round}: ${written.map((result) => (result.status === "rejected" ? String(result.reason) : "")).join(" ")}`,
          );
          const stored = await store.getSet(`unit-race-${round}`);
          assert.equal(stored.length, 1);
          assert.ok(keys.some((key) => JSON.stringify(key) === JSON.stringify(stored[0])));
        }
      } finally {
        await otherDb.$disconnect();
      }
    });

    test("ensureIdTokenKeys creates the RS256 pair once, even when three processes race", async () => {
      const otherDb = createDatabase(database.url);
      try {
        const logs = [recorder(), recorder(), recorder()];
        const racers = [
          new KeyStore(db, encryptionKey, logs[0] as Logger),
          new KeyStore(otherDb, encryptionKey, logs[1] as Logger),
          new KeyStore(db, encryptionKey, logs[2] as Logger),
        ];
        await Promise.all(racers.map((racer) => racer.ensureIdTokenKeys()));
        const generated = logs.flatMap((log) => log.lines).filter((line) => line.includes("generated"));
        assert.equal(generated.length, 1, "one process generated the pair");
        const keys = await store.getSet(ID_TOKEN_KEY_SET);
        assert.deepEqual(keys.map((key) => key.kid).sort(), ["private", "public"]);
        assert.ok(keys.every((key) => key.alg === "RS256" && key.use === "sig" && key.kty === "RSA"));
        const signers = await Promise.all(racers.map((racer) => racer.idTokenSigner()));
        assert.ok(signers.every((signer) => signer.kid === "public"));
      } finally {
        await otherDb.$disconnect();
      }
    });

    test("the ID-token signer's tokens verify against the published JWK set by kid public", async () => {
      const signer = await store.idTokenSigner();
      assert.equal(signer.kid, "public");
      assert.equal(await store.idTokenSigner(), signer, "the key is imported once");
      const jwt = await new SignJWT({ sub: "alice" })
        .setProtectedHeader({ alg: signer.alg, kid: signer.kid })
        .sign(signer.key);
      const jwks = await store.publicIdTokenJwks();
      assert.deepEqual(
        jwks.keys.map((key) => key.kid),
        ["public"],
      );
      assert.ok(jwks.keys.every((key) => key.d === undefined));
      const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks as never));
      assert.equal(payload.sub, "alice");
      assert.equal(decodeProtectedHeader(jwt).kid, "public");
    });

    test("a write to the ID-token set takes effect at once in this process", async () => {
      const before = await store.idTokenSigner();
      const [privateJwk, publicJwk] = await generateKeys("RS256", "");
      await store.replaceSet(ID_TOKEN_KEY_SET, [privateJwk as Jwk, publicJwk as Jwk]);
      const after = await store.idTokenSigner();
      assert.notEqual(after, before);
      assert.deepEqual((await store.publicIdTokenJwks()).keys, [publicJwk]);

      await store.deleteKey(ID_TOKEN_KEY_SET, "public");
      assert.deepEqual(
        (await store.publicIdTokenJwks()).keys,
        [publicJwk],
        "the private key's public half is still published under its twin's kid",
      );
      assert.equal(await store.idTokenSigner(), after, "the same key signs");

      await store.deleteSet(ID_TOKEN_KEY_SET);
      const regenerated = await store.idTokenSigner();
      assert.equal(regenerated.kid, "public");
      assert.notEqual(regenerated, after);
      const jwks = await store.publicIdTokenJwks();
      assert.deepEqual(
        jwks.keys.map((key) => key.kid),
        ["public"],
      );
      assert.notEqual(jwks.keys[0]?.n, publicJwk?.n, "a new key");
    });

    test("the newest private key signs: a key added to the set rotates, its public half is published first", async () => {
      const [rotated] = await generateKeys("RS256", "");
      await store.insert(ID_TOKEN_KEY_SET, [{ ...(rotated as Jwk), kid: "rotated-1" }]);
      const signer = await store.idTokenSigner();
      assert.equal(signer.kid, "rotated-1");
      const jwks = await store.publicIdTokenJwks();
      assert.deepEqual(
        jwks.keys.map((key) => key.kid),
        ["rotated-1", "public"],
      );
      assert.ok(jwks.keys.every((key) => key.d === undefined));
      const jwt = await new SignJWT({ sub: "alice" })
        .setProtectedHeader({ alg: signer.alg, kid: signer.kid })
        .sign(signer.key);
      assert.equal((await jwtVerify(jwt, createLocalJWKSet(jwks as never))).payload.sub, "alice");
    });

    test("a signing key that cannot be decrypted is an error, never replaced or skipped", async () => {
      const other = new KeyStore(db, deriveKey("another-system-secret", "jwk-encryption"), quiet);
      await assert.rejects(other.idTokenSigner(), /rotated-1 cannot be decrypted: was SYSTEM_SECRET changed/);
      assert.deepEqual(
        (await other.publicIdTokenJwks()).keys.map((key) => key.kid),
        ["public"],
        "the stored public keys are still served",
      );
      assert.equal((await store.getSet(ID_TOKEN_KEY_SET)).length, 3, "nothing was generated");
    });
  });
}

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createDatabase } from "@/db/client.ts";
import { verifyPassword } from "@/lib/users/passwords.ts";
import { UserStore } from "@/lib/users/store.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  credentialsOf,
  postForm,
  randomValue,
  registerClient,
  responseParams,
  SYSTEM_SECRET,
  startOAuth2Portico,
} from "@/tests/oauth2/support.ts";
import { freePort } from "@/tests/support/ports.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

/** `npm run users:*`, on a database that does not exist yet (the script migrates it). */
describe("users CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "portico-users-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, DATABASE_URL: `file:${join(dir, "nested", "portico.db")}` };
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/users.ts", ...args], {
      env,
      input,
      encoding: "utf8",
    });

  test("create, list and delete, before the first start", () => {
    const created = run([
      "create",
      "--email",
      "Ann@Example.com",
      "--password",
      "correct horse",
      "--name",
      "Ann",
    ]);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /^Created ann@example\.com \(Ann\); subject [0-9a-f-]{36}\n$/);

    const piped = run(["create", "--email", "bob@example.com"], "a piped password\n");
    assert.equal(piped.status, 0, piped.stderr);

    const listed = run(["list"]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^EMAIL\s+NAME\s+SUBJECT\s+CREATED\n/);
    assert.match(listed.stdout, /ann@example\.com\s+Ann\s/);
    assert.match(listed.stdout, /bob@example\.com\s+—\s/);

    assert.equal(run(["delete", "--email", "bob@example.com"]).status, 0);
    assert.doesNotMatch(run(["list"]).stdout, /bob@example\.com/);
  });

  test("set-password and verify-email, for operators", async () => {
    const db = createDatabase(env.DATABASE_URL);
    try {
      const users = new UserStore(db);
      assert.equal((await users.findByEmail("ann@example.com"))?.emailVerifiedAt, null);
      const verified = run(["verify-email", "--email", "ANN@example.com"]);
      assert.equal(verified.status, 0, verified.stderr);
      assert.match(verified.stdout, /^Marked ann@example\.com as verified\n$/);
      assert.ok((await users.findByEmail("ann@example.com"))?.emailVerifiedAt instanceof Date);

      const set = run(["set-password", "--email", "ann@example.com"], "a brand new password\n");
      assert.equal(set.status, 0, set.stderr);
      assert.match(set.stdout, /^Set a new password for ann@example\.com\n$/);
      const { passwordHash } = (await users.findCredentials("ann@example.com"))!;
      assert.ok(await verifyPassword(passwordHash, "a brand new password"));
      assert.ok(!(await verifyPassword(passwordHash, "correct horse")));
    } finally {
      await db.$disconnect();
    }
  });

  test("clear errors and a non-zero exit", () => {
    const cases: Array<[string[], RegExp]> = [
      [["create", "--email", "ann@example.com", "--password", "correct horse"], /exists/],
      [
        ["create", "--email", "not-an-email", "--password", "correct horse"],
        /--email: Enter a valid email address/,
      ],
      [["create", "--email", "cat@example.com", "--password", "short"], /8 to 128 characters/],
      [
        ["create", "--email", "cat@example.com", "--password", "correct horse", "--name", "Cat\nClick here"],
        /--name: A name cannot hold line breaks or control characters/,
      ],
      [
        [
          "create",
          "--email",
          "cat@example.com",
          "--password",
          "correct horse",
          "--name",
          "Cat \u202Egnp.exe",
        ],
        /--name: A name cannot hold line breaks or control characters/,
      ],
      [["delete", "--email", "nobody@example.com"], /No user has the email nobody@example.com/],
      [
        ["set-password", "--email", "nobody@example.com", "--password", "long enough"],
        /No user has the email/,
      ],
      [["set-password", "--email", "ann@example.com", "--password", "short"], /8 to 128 characters/],
      [["verify-email", "--email", "nobody@example.com"], /No user has the email nobody@example.com/],
      [["frobnicate"], /Usage:/],
      [["list", "--bogus"], /Unknown option/],
    ];
    for (const [args, message] of cases) {
      const result = run(args, "");
      assert.equal(result.status, 1, args.join(" "));
      assert.match(result.stderr, message, args.join(" "));
    }
  });
});

for (const backend of BACKENDS) {
  describe(`users:delete tells the server (${backend})`, () => {
    let portico: Portico;
    before(async () => {
      portico = await startOAuth2Portico({ backend });
    });
    after(() => portico.stop());

    const cli = (args: string[], env: Record<string, string>) =>
      spawnSync(process.execPath, ["--import", "tsx", "scripts/users.ts", ...args], {
        env: { ...process.env, DATABASE_URL: portico.databaseUrl, SYSTEM_SECRET, ...env },
        encoding: "utf8",
      });
    const create = (email: string) => {
      const result = cli(["create", "--email", email, "--password", "correct horse"], {});
      assert.equal(result.status, 0, result.stderr);
      return /subject ([0-9a-f-]{36})/.exec(result.stdout)![1]!;
    };

    test("the deleted person's refresh tokens stop working; a server that is down learns later", async () => {
      const consentApp = await ConsentApp.for(portico);
      const client = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      });
      const offlineAccess = async (subject: string) => {
        const { response } = await authorizeThrough(
          portico,
          consentApp,
          new Browser(),
          {
            response_type: "code",
            client_id: client.id,
            redirect_uri: client.redirectUri,
            scope: "openid offline",
            state: randomValue(),
          },
          { subject },
        );
        const code = responseParams(response, "query").get("code") ?? "";
        const form = { grant_type: "authorization_code", code, redirect_uri: client.redirectUri };
        return (await postForm(portico, "/oauth2/token", form, credentialsOf(client))).json
          .refresh_token as string;
      };
      const refreshes = async (token: string) =>
        (
          await postForm(
            portico,
            "/oauth2/token",
            { grant_type: "refresh_token", refresh_token: token },
            credentialsOf(client),
          )
        ).json.error === undefined;

      const tag = randomValue()
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "");
      const ann = create(`ann-${tag}@example.com`);
      const bob = create(`bob-${tag}@example.com`);
      const annToken = await offlineAccess(ann);
      const bobToken = await offlineAccess(bob);

      // The server is unreachable: Bob is deleted here and his deletion waits in the outbox.
      const closed = `http://127.0.0.1:${await freePort()}`;
      const offline = cli(["delete", "--email", `bob-${tag}@example.com`], { HYDRA_URL: closed });
      assert.equal(offline.status, 0, offline.stderr);
      assert.match(offline.stdout, /could not be reached/);

      const online = cli(["delete", "--email", `ann-${tag}@example.com`], { ISSUER: portico.url });
      assert.equal(online.status, 0, online.stderr);
      assert.match(online.stdout, /revoked every token and grant/);
      assert.equal(await refreshes(annToken), false, "Ann's refresh is refused");
      assert.equal(await refreshes(bobToken), false, "Bob's queued deletion went out with Ann's");
    });
  });
}

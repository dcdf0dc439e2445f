import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createDatabase } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
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
import { BACKENDS, freshDatabase, type Portico } from "@/tests/support/server.ts";

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

for (const backend of BACKENDS) {
  // Against an Ory Hydra 2.x (HYDRA_ADMIN_URL), which has no 2017 API at HYDRA_URL: the CLI tells it
  // through the admin API, as the app does, instead of failing at HYDRA_URL and leaving the person's
  // tokens and remembered logins alive until the app's next housekeeping round.
  describe(`users:delete tells a Hydra 2.x admin API (${backend})`, () => {
    const URLS = {
      URLS_LOGIN: "https://login.example/login",
      URLS_CONSENT: "https://login.example/consent",
      URLS_LOGOUT: "https://login.example/logout",
    };
    const REDIRECT_URI = "https://rp.example/cb";
    const CLIENT = "rp-users-cli";
    let portico: Portico;
    before(async () => {
      portico = await startOAuth2Portico({ backend, env: URLS });
      const created = await fetch(`${portico.adminUrl}/admin/clients`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          client_id: CLIENT,
          client_secret: "rp-users-cli-secret-0123456789",
          redirect_uris: [REDIRECT_URI],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
        }),
      });
      assert.equal(created.status, 201);
    });
    after(() => portico.stop());

    const cli = (args: string[], env: Record<string, string>) =>
      spawnSync(process.execPath, ["--import", "tsx", "scripts/users.ts", ...args], {
        env: { ...process.env, DATABASE_URL: portico.databaseUrl, SYSTEM_SECRET, ...env },
        encoding: "utf8",
      });

    const redirected = (response: Response) => {
      assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
      return new URL(response.headers.get("location") ?? "");
    };
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${portico.adminUrl}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    /** A new authorization request in `browser`: the login request the admin API shows. */
    const loginRequest = async (browser: Browser) => {
      const query = new URLSearchParams({
        client_id: CLIENT,
        response_type: "code",
        redirect_uri: REDIRECT_URI,
        scope: "openid",
        state: randomValue(),
      });
      const login = redirected(await browser.get(`${portico.url}/oauth2/auth?${query}`));
      const challenge = login.searchParams.get("login_challenge") ?? "";
      const read = await admin("GET", `/admin/oauth2/auth/requests/login?login_challenge=${challenge}`);
      return { challenge, ...((await read.json()) as { skip: boolean }) };
    };

    test("the deleted person's consent sessions and remembered logins end at once", async () => {
      const tag = randomValue()
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "");
      const created = cli(["create", "--email", `dee-${tag}@example.com`, "--password", "correct horse"], {});
      assert.equal(created.status, 0, created.stderr);
      const subject = /subject ([0-9a-f-]{36})/.exec(created.stdout)![1]!;

      // Dee signs in with "remember me" and consents, remembered: a login session and a consent session.
      const browser = new Browser();
      const { challenge } = await loginRequest(browser);
      const login = await admin(
        "PUT",
        `/admin/oauth2/auth/requests/login/accept?login_challenge=${challenge}`,
        {
          subject,
          remember: true,
          remember_for: 3600,
        },
      );
      const consentAt = redirected(
        await browser.get(((await login.json()) as { redirect_to: string }).redirect_to),
      );
      const consentChallenge = consentAt.searchParams.get("consent_challenge") ?? "";
      const consent = await admin(
        "PUT",
        `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${consentChallenge}`,
        { grant_scope: ["openid"], remember: true },
      );
      const back = redirected(
        await browser.get(((await consent.json()) as { redirect_to: string }).redirect_to),
      );
      assert.ok(back.searchParams.get("code"), back.href);
      const sessions = async () =>
        (await (
          await admin("GET", `/admin/oauth2/auth/sessions/consent?subject=${subject}`)
        ).json()) as unknown[];
      assert.equal((await sessions()).length, 1);
      assert.equal((await loginRequest(browser)).skip, true, "the login is remembered");

      // Ory Hydra has no 2017 API: HYDRA_URL answers nothing the CLI could use.
      const noApi = `http://127.0.0.1:${await freePort()}`;
      const deleted = cli(["delete", "--email", `dee-${tag}@example.com`], {
        HYDRA_URL: noApi,
        HYDRA_ADMIN_URL: portico.adminUrl,
      });
      assert.equal(deleted.status, 0, deleted.stderr);
      assert.match(deleted.stdout, /The server revoked every token and grant of theirs/);
      assert.deepEqual(await sessions(), []);
      assert.equal((await loginRequest(browser)).skip, false, "the remembered login ended");
    });
  });
}

for (const backend of BACKENDS) {
  describe(`users:list with many people (${backend})`, () => {
    // Read whole, with each column's width spread into Math.max, some 125,000 people overflowed the
    // stack: `users:list` failed with a RangeError and listed no one.
    const people = 130_000;
    let database: { url: string; drop(): Promise<void> } | undefined;
    before(async () => {
      database = await freshDatabase(backend);
      await migrate(database.url);
      const db = createDatabase(database.url);
      try {
        // Straight in with SQL, seven people to a sign-up instant, so ties straddle the pages.
        await db.$executeRawUnsafe(
          backend === "sqlite"
            ? `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${people})
               INSERT INTO "users" ("id", "email", "name", "passwordHash", "createdAt", "updatedAt")
               SELECT printf('subject-%06d', i), printf('person%06d@example.com', i), '', 'x',
                 strftime('%Y-%m-%dT%H:%M:%f+00:00', '2026-01-01', '+' || ((${people} - i) / 7) || ' seconds'),
                 strftime('%Y-%m-%dT%H:%M:%f+00:00', '2026-01-01') FROM n`
            : `INSERT INTO "users" ("id", "email", "name", "passwordHash", "createdAt", "updatedAt")
               SELECT 'subject-' || lpad(i::text, 6, '0'), 'person' || lpad(i::text, 6, '0') || '@example.com', '', 'x',
                 timestamp '2026-01-01' + ((${people} - i) / 7) * interval '1 second', timestamp '2026-01-01'
               FROM generate_series(1, ${people}) i`,
        );
      } finally {
        await db.$disconnect();
      }
    });
    after(() => database?.drop());

    test("lists every one of 130,000 people once, in the order they signed up", () => {
      const listed = spawnSync(process.execPath, ["--import", "tsx", "scripts/users.ts", "list"], {
        env: { ...process.env, DATABASE_URL: database!.url },
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      });
      assert.equal(listed.status, 0, listed.stderr.slice(0, 2_000));
      const lines = listed.stdout.trimEnd().split("\n");
      assert.match(lines[0]!, /^EMAIL\s+NAME\s+SUBJECT\s+CREATED$/);
      const rows = lines.slice(1).map((line) => line.split(/\s+/));
      assert.equal(rows.length, people);
      assert.equal(new Set(rows.map((row) => row[0])).size, people, "nobody twice");
      const created = rows.map((row) => row[3]!);
      assert.ok(
        created.every((at, i) => i === 0 || created[i - 1]! <= at),
        "in the order they signed up",
      );
      // The last seven seeded signed up first, together: among them, by subject.
      assert.equal(rows[0]![0], `person${String(people - 6).padStart(6, "0")}@example.com`);
      // The first three seeded (18,571 seconds on) signed up last.
      assert.equal(rows.at(-1)![0], "person000003@example.com");
      assert.equal(lines[1]!.indexOf("subject-"), lines.at(-1)!.indexOf("subject-"), "one width for all");
    });
  });
}

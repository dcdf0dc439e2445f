/**
 * `npm run quickstart`: try Portico on a fresh machine after `npm ci`.
 *
 * Migrates the database, makes sure the demo user exists (credentials
 * printed), builds the pages if needed, then starts the server with the demo relying
 * party (PORTICO_DEMO=1, which also registers its client) and prints the URL
 * to open. Without SYSTEM_SECRET it generates one, once, into
 * ./data/system-secret (mode 0600) and says so. `npm start` does none of this.
 *
 * `npm run quickstart -- --hydra-v2` runs the same demo in Ory Hydra 2.x
 * mode: the server's flow sends browsers to the app's pages with Hydra 2.x
 * challenges (URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT) and the app answers them
 * through the admin listener (HYDRA_ADMIN_URL), as it would a real Hydra 2.x.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ConfigError, issuerOf, parseEnvironment, type Settings } from "@/common/config.ts";
import { createDatabase, prepareSqliteFile, providerOf, sqlitePath } from "@/db/client.ts";
import { MigrationRefused, migrate } from "@/db/migrate.ts";
import { databaseUnavailable } from "@/db/unavailable.ts";
import { UserStore } from "@/lib/users/store.ts";

const DATA = join(process.cwd(), "data");
const SECRET_FILE = join(DATA, "system-secret");
/** The demo user's credentials, kept (mode 0600, like the secret) so every run can print them. */
const DEMO_USER_FILE = join(DATA, "demo-user.json");
const DEMO_EMAIL = "demo@example.com";

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

function writePrivate(file: string, content: string): void {
  mkdirSync(DATA, { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

function systemSecret(settings: Settings): string {
  if (settings.SYSTEM_SECRET) return settings.SYSTEM_SECRET;
  if (existsSync(SECRET_FILE)) return readFileSync(SECRET_FILE, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  writePrivate(SECRET_FILE, `${secret}\n`);
  console.warn(
    [
      "",
      `WARNING: SYSTEM_SECRET is not set, so the quickstart generated one into ${SECRET_FILE} (mode 0600).`,
      "It encrypts the signing keys and protects tokens: keep that file, and in production set",
      "SYSTEM_SECRET yourself and run `npm start`.",
      "",
    ].join("\n"),
  );
  return secret;
}

function buildIfNeeded(): void {
  const run = (what: string, args: string[]) => {
    console.log(`${what}, once…`);
    const build = spawnSync(process.execPath, args, {
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (build.status !== 0) {
      console.error("The build failed; see above.");
      process.exit(build.status ?? 1);
    }
  };
  if (!existsSync(join(process.cwd(), ".next", "BUILD_ID"))) {
    run("Building the pages (next build)", ["node_modules/next/dist/bin/next", "build"]);
  }
  if (!existsSync(join(process.cwd(), "dist", "server", "main.js"))) {
    run("Compiling the server", ["scripts/build-server.mjs"]);
  }
}

/** The demo user, created once with a random password, or the kept one. */
async function demoUser(databaseUrl: string): Promise<{ email: string; password: string; kept: boolean }> {
  const db = createDatabase(databaseUrl);
  const users = new UserStore(db);
  try {
    const saved = existsSync(DEMO_USER_FILE)
      ? (JSON.parse(readFileSync(DEMO_USER_FILE, "utf8")) as { email: string; password: string })
      : undefined;
    const existing = await users.findByEmail(DEMO_EMAIL);
    if (existing && saved?.email === DEMO_EMAIL) return { ...saved, kept: true };
    const password = randomBytes(12).toString("base64url");
    if (existing) await users.setPassword(DEMO_EMAIL, password);
    else await users.create({ email: DEMO_EMAIL, password, name: "Dana Demo", emailVerified: true });
    writePrivate(DEMO_USER_FILE, `${JSON.stringify({ email: DEMO_EMAIL, password })}\n`);
    return { email: DEMO_EMAIL, password, kept: false };
  } finally {
    await db.$disconnect();
  }
}

/** Whether nothing listens on the port yet (where the server will listen). */
function portIsFree(port: number, host: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

async function waitForHealth(url: string, child: ReturnType<typeof spawn>): Promise<boolean> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/health`)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** The variables of Hydra 2.x mode, for the embedded server and its own app; any set already win. */
function hydraV2Variables(settings: Settings, issuer: string): Record<string, string> {
  const adminHost = settings.ADMIN_HOST === "0.0.0.0" ? "127.0.0.1" : settings.ADMIN_HOST;
  return {
    URLS_LOGIN: `${issuer}/login`,
    URLS_CONSENT: `${issuer}/consent`,
    URLS_LOGOUT: `${issuer}/logout`,
    HYDRA_ADMIN_URL: `http://${adminHost}:${settings.ADMIN_PORT}`,
  };
}

async function main(): Promise<void> {
  const hydraV2 = process.argv.slice(2).includes("--hydra-v2");
  const settings = parseEnvironment();
  const secret = systemSecret(settings);
  const databaseUrl = settings.DATABASE_URL;
  const issuer = issuerOf(settings);

  // The health check below would take another server on these ports (say, the quickstart
  // running in another terminal) for ours, and print "Portico is running" before ours fails.
  for (const [name, port, host] of [
    ["PORT", settings.PORT, settings.HOST],
    ["ADMIN_PORT", settings.ADMIN_PORT, settings.ADMIN_HOST],
  ] as const) {
    if (!(await portIsFree(port, host))) {
      console.error(`${name} ${port} is in use (is Portico running already?): stop that, or set ${name}.`);
      process.exit(1);
    }
  }
  // The database first: one it cannot use is said at once, not after a build of some minutes.
  if (providerOf(databaseUrl) === "sqlite") prepareSqliteFile(sqlitePath(databaseUrl));
  await migrate(databaseUrl);
  const user = await demoUser(databaseUrl);
  buildIfNeeded();

  const server = spawn(process.execPath, ["dist/server/main.js"], {
    stdio: "inherit",
    env: {
      ...(hydraV2 ? hydraV2Variables(settings, issuer) : {}),
      ...process.env,
      SYSTEM_SECRET: secret,
      PORTICO_DEMO: "1",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
  server.on("exit", (code) => process.exit(code ?? 0));

  if (!(await waitForHealth(issuer, server))) return;
  console.log(
    [
      "",
      bold(`Portico is running. Open ${issuer} to try the demo app.`),
      ...(hydraV2
        ? [
            "Hydra 2.x mode: the sign-in pages answer login_challenge / consent_challenge / logout_challenge",
            `through the admin API at ${hydraV2Variables(settings, issuer).HYDRA_ADMIN_URL}.`,
          ]
        : []),
      "",
      `Sign in with the demo user${user.kept ? " (kept from an earlier run)" : ""}:`,
      `  Email     ${user.email}`,
      `  Password  ${user.password}`,
      "",
      `Add people with: npm run users:create -- --email you@example.com --password '…' --name 'Your Name'`,
      ...(settings.mailServer
        ? []
        : [
            "Without a mail server (SMTP_URL) the emails Portico sends (sign-up confirmation, password reset) are written",
            "to this log instead, each with its link.",
          ]),
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  const outage = databaseUnavailable(error);
  if (error instanceof ConfigError || error instanceof MigrationRefused) console.error(error.message);
  // Down, unreachable, a wrong password: the operator's to fix, and the driver's stack says no more.
  else if (outage) console.error(`The database at DATABASE_URL cannot be used (${outage})`);
  else console.error(error);
  process.exit(1);
});

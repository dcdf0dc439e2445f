/**
 * Manage the people who sign in to the login & consent app:
 *
 *   npm run users:create -- --email <e> --password <p> [--name <n>]
 *   npm run users:list
 *   npm run users:delete -- --email <e>
 *   npm run users:set-password -- --email <e> [--password <p>]
 *   npm run users:verify-email -- --email <e>
 *
 * Works before the first start: it applies pending migrations to DATABASE_URL
 * first. Without --password, `create` and `set-password` read the password from standard input
 * (so it stays out of shell history): `printf '%s' "$PW" | npm run users:create -- --email …`.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createDatabase, prepareSqliteFile, providerOf, sqlitePath } from "@/db/client.ts";
import { MigrationRefused, migrate } from "@/db/migrate.ts";
import { databaseUnavailable } from "@/db/unavailable.ts";
import { ConfigError, databaseUrlFrom, loadAppConfig } from "@/lib/config/env.ts";
import { HydraAdminClient } from "@/lib/hydra/admin.ts";
import { HydraClient } from "@/lib/hydra/client.ts";
import { tellServerOfDeletions } from "@/lib/users/deletions.ts";
import { emailAddress } from "@/lib/users/email.ts";
import { personName } from "@/lib/users/names.ts";
import { type User, UserError, UserStore } from "@/lib/users/store.ts";

const USAGE = `Usage:
  npm run users:create -- --email <email> --password <password> [--name <name>]
  npm run users:list
  npm run users:delete -- --email <email>
  npm run users:set-password -- --email <email> [--password <password>]
  npm run users:verify-email -- --email <email>`;

class UsageError extends Error {}

const COMMANDS = ["create", "list", "delete", "set-password", "verify-email"] as const;

function email(value: string | undefined): string {
  if (!value) throw new UsageError("--email is required");
  const parsed = emailAddress.safeParse(value);
  if (!parsed.success) throw new UsageError(`--email: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

/** --name, optional: held to what the sign-up form takes. */
function name(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = personName.safeParse(value);
  if (!parsed.success) throw new UsageError(`--name: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

function passwordFromStdin(): string {
  if (process.stdin.isTTY) throw new UsageError("--password is required (or pipe it on standard input)");
  return readFileSync(0, "utf8").replace(/\r?\n$/, "");
}

/** People listed per read: `users:list` never holds them all. */
const LIST_PAGE = 1_000;

/** Every person, in the order they signed up, a page at a time. */
async function* pagesOf(users: UserStore): AsyncGenerator<User[]> {
  let after: User | undefined;
  for (;;) {
    const page = await users.listPage(after, LIST_PAGE);
    if (page.length > 0) yield page;
    if (page.length < LIST_PAGE) return;
    after = page[page.length - 1];
  }
}

function cells(user: User): string[] {
  return [user.email, user.name || "—", user.id, user.createdAt.toISOString()];
}

/** Writes to standard output, waiting while its buffer is full (a pipe to `less` reads slowly). */
function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

async function run(command: string | undefined, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } },
    strict: true,
  });
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number])) throw new UsageError(USAGE);

  const databaseUrl = databaseUrlFrom();
  if (providerOf(databaseUrl) === "sqlite") prepareSqliteFile(sqlitePath(databaseUrl));
  await migrate(databaseUrl);
  const db = createDatabase(databaseUrl);
  const users = new UserStore(db);
  try {
    if (command === "create") {
      const address = email(values.email);
      const user = await users.create({
        email: address,
        password: values.password ?? passwordFromStdin(),
        name: name(values.name),
      });
      console.log(`Created ${user.email}${user.name ? ` (${user.name})` : ""}; subject ${user.id}`);
    } else if (command === "list") {
      // Two walks, a page at a time: the widths, then the lines. Read whole (and each width found by
      // spreading every row into Math.max), some 125,000 people overflowed the stack.
      const header = ["EMAIL", "NAME", "SUBJECT", "CREATED"];
      const widths = header.map((title) => title.length);
      let listed = 0;
      for await (const page of pagesOf(users)) {
        listed += page.length;
        for (const row of page.map(cells)) {
          row.forEach((cell, i) => {
            widths[i] = Math.max(widths[i]!, cell.length);
          });
        }
      }
      if (listed === 0) return console.log("No users yet. Add one with npm run users:create.");
      const line = (row: string[]) =>
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join("  ")
          .trimEnd();
      console.log(line(header));
      for await (const page of pagesOf(users))
        await write(`${page.map((user) => line(cells(user))).join("\n")}\n`);
    } else if (command === "set-password") {
      const address = email(values.email);
      await users.setPassword(address, values.password ?? passwordFromStdin());
      console.log(`Set a new password for ${address}`);
    } else if (command === "verify-email") {
      const address = email(values.email);
      await users.markEmailVerified(address);
      console.log(`Marked ${address} as verified`);
    } else {
      const address = email(values.email);
      await users.delete(address);
      console.log(`Deleted ${address}, their sessions and the decisions they asked to remember`);
      console.log(await tellServer(db));
    }
  } finally {
    await db.$disconnect();
  }
}

/**
 * Tells the authorization server about the deletion, as the app does
 * (lib/users/index.ts), so it revokes every token and grant of the person:
 * the 2017 API's subject deletion at HYDRA_URL, or with HYDRA_ADMIN_URL (an
 * Ory Hydra 2.x, which has no 2017 API) Hydra 2.x's admin API, forgetting the
 * subject's consent sessions and remembered logins. When it cannot be
 * reached, the deletion stays queued and Portico sends it once it runs.
 */
async function tellServer(db: ReturnType<typeof createDatabase>): Promise<string> {
  let server: { deleteSubject(subject: string): Promise<void> };
  try {
    const { hydraAdminUrl, hydra } = loadAppConfig();
    server = hydraAdminUrl
      ? new HydraAdminClient({ url: hydraAdminUrl, timeoutMs: 5_000 })
      : new HydraClient({ ...hydra, timeoutMs: 5_000 });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return `The server was not told yet (${error.message}); Portico tells it when it next runs.`;
  }
  const { failed } = await tellServerOfDeletions(db, (subject) => server.deleteSubject(subject));
  return failed === 0
    ? "The server revoked every token and grant of theirs."
    : "The server could not be reached: their tokens keep working until Portico tells it, which it does as soon as it runs.";
}

const [command, ...args] = process.argv.slice(2);
run(command, args).catch((error: unknown) => {
  const outage = databaseUnavailable(error);
  if (
    error instanceof UsageError ||
    error instanceof UserError ||
    error instanceof ConfigError ||
    // A database a newer version migrated: the one line npm start and the quickstart say too.
    error instanceof MigrationRefused
  ) {
    console.error(error.message);
  } else if (
    error instanceof TypeError &&
    "code" in error &&
    String(error.code).startsWith("ERR_PARSE_ARGS")
  ) {
    console.error(`${error.message}\n${USAGE}`);
  } else if (outage) {
    // Down, unreachable, a wrong password: the operator's to fix, and the driver's stack says no more.
    console.error(`The database at DATABASE_URL cannot be used (${outage})`);
  } else {
    console.error(error);
  }
  process.exit(1);
});

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "@/db/client.ts";
import { deleteInBatches, PURGE_BATCH } from "@/lib/housekeeping/batches.ts";

/**
 * What a mailed link lets its holder do. `restore_email` goes to the old
 * address after a change of address: it puts that address back (the undo).
 */
type TokenPurpose = "verify_email" | "reset_password" | "change_email" | "restore_email";

/** Every purpose: the links an undone change of address voids. */
export const ALL_PURPOSES: readonly TokenPurpose[] = [
  "verify_email",
  "reset_password",
  "change_email",
  "restore_email",
];

const HOUR = 3600_000;

/** How long each kind of link works: what the emails and the pages that mention a link say too. */
export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = {
  verify_email: 24 * HOUR,
  reset_password: 1 * HOUR,
  change_email: 24 * HOUR,
  // A week: a notice about a change nobody expected may be read days later (a holiday), and until
  // then the person whose account was taken has no other way back short of the operator.
  restore_email: 7 * 24 * HOUR,
};

interface AccountTokenRow {
  id: string;
  userId: string;
  purpose: string;
  email: string;
  secretHash: string;
  expiresAt: Date;
}

/** The tables a token operation touches, inside or outside a transaction. */
type Tables = Pick<Database, "accountToken">;

export type LinkProblem = "invalid" | "expired";

/**
 * A link's token is `<id>.<secret>`: the id finds the row, the secret is
 * 32 random bytes of which only a SHA-256 is stored, so the table alone
 * lets nobody use a link. Comparisons are constant-time.
 */
const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

function digest(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/**
 * A new link's token and the row that will make it work, nothing written
 * yet: for a caller that must send the link before it writes anything.
 */
export function newToken(
  input: { userId: string; purpose: TokenPurpose; email: string },
  now = new Date(),
): { token: string; row: AccountTokenRow } {
  const id = randomBytes(16).toString("base64url");
  const secret = randomBytes(32).toString("base64url");
  const row = {
    id,
    userId: input.userId,
    purpose: input.purpose,
    email: input.email,
    secretHash: digest(secret).toString("hex"),
    expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS[input.purpose]),
  };
  return { token: `${id}.${secret}`, row };
}

/**
 * Stores a link's row. It is written before any older link is deleted
 * (voidOlderTokens): the insert waits on the person's row as a deletion of
 * the person does, before either touches the links, so the two cannot
 * deadlock (PostgreSQL); a person deleted meanwhile makes it fail as a
 * foreign-key violation.
 */
export async function storeToken(tables: Tables, row: AccountTokenRow): Promise<void> {
  await tables.accountToken.create({ data: row });
}

/** Every older link of the same person and purpose as `row` stops working: only the newest one counts. */
export async function voidOlderTokens(tables: Tables, row: AccountTokenRow): Promise<void> {
  await tables.accountToken.deleteMany({
    where: { userId: row.userId, purpose: row.purpose, id: { not: row.id } },
  });
}

/** Every link of the person with one of these purposes stops working. */
export async function voidTokens(
  tables: Tables,
  userId: string,
  purposes: readonly TokenPurpose[],
): Promise<void> {
  await tables.accountToken.deleteMany({ where: { userId, purpose: { in: [...purposes] } } });
}

/**
 * The row a link's token stands for, if the token is well-formed, its secret
 * matches and it has one of the purposes; without using it up.
 */
export async function findToken(
  tables: Tables,
  token: unknown,
  purposes: readonly TokenPurpose[],
  now = new Date(),
): Promise<{ ok: true; row: AccountTokenRow } | { ok: false; problem: LinkProblem }> {
  const match = typeof token === "string" ? TOKEN.exec(token) : null;
  if (!match) return { ok: false, problem: "invalid" };
  const [, id, secret] = match as unknown as [string, string, string];
  const row = await tables.accountToken.findUnique({ where: { id } });
  const stored = Buffer.from(row?.secretHash ?? "", "hex");
  const presented = digest(secret);
  const matches = stored.length === presented.length && timingSafeEqual(stored, presented);
  if (!row || !matches || !purposes.includes(row.purpose as TokenPurpose)) {
    return { ok: false, problem: "invalid" };
  }
  if (row.expiresAt <= now) return { ok: false, problem: "expired" };
  return { ok: true, row };
}

/** Uses a token up, in the caller's transaction; false when another request used it first. */
export async function spendToken(tables: Tables, id: string): Promise<boolean> {
  const { count } = await tables.accountToken.deleteMany({ where: { id } });
  return count === 1;
}

/** Deletes the links that can no longer be used (housekeeping). */
export async function purgeExpiredTokens(
  tables: Tables,
  now = new Date(),
  batch = PURGE_BATCH,
): Promise<number> {
  const expired = { expiresAt: { lte: now } };
  return deleteInBatches(
    async (take) =>
      (
        await tables.accountToken.findMany({
          where: expired,
          select: { id: true },
          orderBy: { expiresAt: "asc" },
          take,
        })
      ).map((row) => row.id),
    async (ids) => (await tables.accountToken.deleteMany({ where: { id: { in: ids }, ...expired } })).count,
    batch,
  );
}

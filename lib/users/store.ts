import { randomUUID } from "node:crypto";
import { type Database, rawQueries } from "@/db/client.ts";
import { isUniqueViolation } from "@/db/errors.ts";
import { changesOneRow } from "@/db/raw.ts";
import { USER_CREDENTIALS_ROW, USER_ROW } from "@/lib/db/rows.ts";
import { normalizeEmail } from "./email.ts";
import { NEW_PASSWORD_MAX_LENGTH, NEW_PASSWORD_MIN_LENGTH } from "./password-policy.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";

/** A person who signs in here. `id` is their stable, opaque subject (`sub`); the email may change. */
export interface User {
  id: string;
  email: string;
  name: string;
  /** When they last proved they receive mail at `email`; null until then. */
  emailVerifiedAt: Date | null;
  createdAt: Date;
  /** When the account's record last changed (the `updated_at` claim). */
  updatedAt: Date;
}

/** The user plus the hash their password is checked against; never leaves the users module's callers. */
interface UserWithCredentials extends User {
  passwordHash: string;
}

export class UserError extends Error {
  constructor(
    readonly code: "email_taken" | "weak_password" | "not_found",
    message: string,
  ) {
    super(message);
  }
}

function checkPassword(password: string): void {
  if (password.length < NEW_PASSWORD_MIN_LENGTH || password.length > NEW_PASSWORD_MAX_LENGTH) {
    throw new UserError(
      "weak_password",
      `The password must be ${NEW_PASSWORD_MIN_LENGTH} to ${NEW_PASSWORD_MAX_LENGTH} characters long`,
    );
  }
}

export const PUBLIC_FIELDS = {
  id: true,
  email: true,
  name: true,
  emailVerifiedAt: true,
  createdAt: true,
  updatedAt: true,
} as const;

export class UserStore {
  constructor(private readonly db: Database) {}

  async create(input: {
    email: string;
    password: string;
    name?: string;
    emailVerified?: boolean;
  }): Promise<User> {
    checkPassword(input.password);
    const email = normalizeEmail(input.email);
    try {
      return await this.db.user.create({
        data: {
          id: randomUUID(),
          email,
          name: (input.name ?? "").trim(),
          passwordHash: await hashPassword(input.password),
          emailVerifiedAt: input.emailVerified ? new Date() : null,
        },
        select: PUBLIC_FIELDS,
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new UserError("email_taken", `A user with the email ${email} exists`);
      throw error;
    }
  }

  /** Replaces a user's password (the quickstart's demo user). */
  async setPassword(email: string, password: string): Promise<void> {
    checkPassword(password);
    const { count } = await this.db.user.updateMany({
      where: { email: normalizeEmail(email) },
      data: { passwordHash: await hashPassword(password) },
    });
    if (count === 0) throw new UserError("not_found", `No user has the email ${normalizeEmail(email)}`);
  }

  /**
   * Stores a new hash of `password`, just proved against `passwordHash`, made with the current
   * parameters (passwords.ts). Only while the account still has that hash — a change of password
   * meanwhile wins — and without touching `updatedAt` (the `updated_at` claim: the profile did not
   * change). Answers the hash the account has now if the password proves it: two sign-ins at
   * once both rehash, the second finds the first's hash, and its session must not be refused as
   * if the password had changed; a real change meanwhile answers the old hash, which the session
   * store then refuses.
   */
  async rehashPassword(id: string, passwordHash: string, password: string): Promise<string> {
    const rehashed = await hashPassword(password);
    const refused = await rawQueries(this.db).transaction<"password changed">([
      changesOneRow(
        `UPDATE "users" SET "passwordHash" = $1 WHERE "id" = $2 AND "passwordHash" = $3`,
        [rehashed, id, passwordHash],
        "password changed",
      ),
    ]);
    if (!refused) return rehashed;
    const now = await this.db.user.findUnique({ where: { id }, select: { passwordHash: true } });
    return now && (await verifyPassword(now.passwordHash, password)) ? now.passwordHash : passwordHash;
  }

  /** Marks the address as verified by an operator (users:verify-email). */
  async markEmailVerified(email: string): Promise<void> {
    const { count } = await this.db.user.updateMany({
      where: { email: normalizeEmail(email) },
      data: { emailVerifiedAt: new Date() },
    });
    if (count === 0) throw new UserError("not_found", `No user has the email ${normalizeEmail(email)}`);
  }

  /** Read on every page of a signed-in person: a prepared statement, not Prisma's findUnique. */
  findById(id: string): Promise<User | null> {
    return rawQueries(this.db).rowByKey(USER_ROW, id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.db.user.findUnique({ where: { email: normalizeEmail(email) }, select: PUBLIC_FIELDS });
  }

  /** For sign-in only: the user with their password hash (a prepared statement: every sign-in asks). */
  findCredentials(email: string): Promise<UserWithCredentials | null> {
    return rawQueries(this.db).rowByKey(USER_CREDENTIALS_ROW, normalizeEmail(email));
  }

  list(): Promise<User[]> {
    return this.db.user.findMany({ orderBy: { createdAt: "asc" }, select: PUBLIC_FIELDS });
  }

  /**
   * The people in the order they signed up, `take` at a time: the page after
   * `after` (the last person of the previous page), by the index on
   * (createdAt, id), so a page costs the same however many came before.
   */
  listPage(after: Pick<User, "id" | "createdAt"> | undefined, take: number): Promise<User[]> {
    return this.db.user.findMany({
      // The `gte` bounds the index range (an OR alone is a filter over the index from its start).
      where: after
        ? {
            createdAt: { gte: after.createdAt },
            OR: [{ createdAt: { gt: after.createdAt } }, { id: { gt: after.id } }],
          }
        : {},
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: PUBLIC_FIELDS,
      take,
    });
  }

  /**
   * Deletes the user and, by cascade, their sessions and remembered
   * decisions; in the same transaction it queues telling the authorization
   * server (lib/users/deletions.ts), which then revokes every token and grant
   * of theirs. Answers the deleted user's id (their subject).
   */
  async delete(email: string): Promise<string> {
    const normalized = normalizeEmail(email);
    const id = await this.remove({ email: normalized });
    if (id === undefined) throw new UserError("not_found", `No user has the email ${normalized}`);
    return id;
  }

  /** As `delete`, by the user's id (their own account page); false when there is no such user. */
  async deleteById(id: string): Promise<boolean> {
    return (await this.remove({ id })) !== undefined;
  }

  private async remove(where: { email: string } | { id: string }): Promise<string | undefined> {
    // The person's id is read before the transaction, whose first statement is the write: on SQLite
    // a transaction that reads first fails busy when another process writes before its own write
    // (two tabs deleting the account at once answered 500), whereas a write first waits for the lock.
    const user = await this.db.user.findUnique({ where, select: { id: true } });
    if (!user) return undefined;
    return this.db.$transaction(async (tx) => {
      // Not `delete`: another deletion of the same person may commit between the read and this
      // write, and then this one finds nobody (on PostgreSQL, once that one's row lock is released).
      const { count } = await tx.user.deleteMany({ where: { ...where, id: user.id } });
      if (count === 0) return undefined;
      await tx.subjectDeletion.upsert({
        where: { subject: user.id },
        create: { subject: user.id },
        update: {},
      });
      return user.id;
    });
  }
}

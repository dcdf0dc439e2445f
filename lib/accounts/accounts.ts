import { randomUUID } from "node:crypto";
import type { Database } from "@/db/client.ts";
import { isForeignKeyViolation, isUniqueViolation } from "@/db/errors.ts";
import {
  alreadyRegisteredMessage,
  confirmNewEmailMessage,
  emailChangedMessage,
  noAccountMessage,
  resetPasswordMessage,
  verifyEmailMessage,
} from "@/lib/mail/messages.ts";
import type { Mailer } from "@/lib/mail/transport.ts";
import { normalizeEmail } from "@/lib/users/email.ts";
import { hashPassword } from "@/lib/users/passwords.ts";
import { PUBLIC_FIELDS, type User } from "@/lib/users/store.ts";
import { MailThrottle } from "./throttle.ts";
import {
  ALL_PURPOSES,
  findToken,
  type LinkProblem,
  newToken,
  spendToken,
  storeToken,
  voidOlderTokens,
  voidTokens,
} from "./tokens.ts";

/** A link just stored: its token for the message, its row. */
type NewLink = ReturnType<typeof newToken>;

/** The answer to anything that sends an email. */
export type MailOutcome =
  | { ok: true }
  /** The mail server refused or could not be reached; the log says why. */
  | { ok: false; code: "mail_failed" }
  | { ok: false; code: "throttled"; retryAt: Date };

export type LinkOutcome<T = { user: User }> = ({ ok: true } & T) | { ok: false; problem: LinkProblem };

interface AccountsOptions {
  db: Database;
  mailer: Mailer;
  /** ISSUER: every link in a message starts here. */
  issuer: string;
  /** Whether /signup takes new accounts (the no-account message then offers it). */
  signupOpen: boolean;
  /**
   * Tells the authorization server of sessions a password change or reset
   * ended (back-channel logout); never awaited, never fails the change.
   */
  sessionsEnded?: (ended: { sid: string } | { subject: string }) => void;
  /**
   * Revokes every app's access of the person at the authorization server (a
   * password reset); never awaited, never fails the reset.
   */
  appAccessRevoked?: (subject: string) => void;
}

/** The links a password change or reset voids: whoever knew the old password may have asked for them. */
const VOIDED_BY_NEW_PASSWORD = ["reset_password", "change_email"] as const;

/**
 * The name to greet a person by in a message to their address: only once the
 * address is confirmed. Until then the name was typed by whoever typed the
 * address — anyone can sign up with anyone's address — and a greeting would
 * carry their text ("your account is suspended, go to https://…") in an email
 * from this site to a stranger.
 */
function greetingName(user: Pick<User, "name" | "emailVerifiedAt">): string | undefined {
  return user.emailVerifiedAt ? user.name : undefined;
}

/** Thrown inside a link's transaction when another request used the link first: undoes what it wrote. */
class LinkAlreadyUsed extends Error {}

/**
 * People managing their own accounts: sign-up, address verification,
 * password reset, changes of name, address and password. Each write is one
 * transaction; a message is sent after its transaction commits, and a
 * message that could not be sent is reported, never dropped silently.
 * Answers that go to a person who is not signed in never depend on whether
 * an address has an account: both cases send a message and take the same
 * steps (a password is hashed either way).
 */
export class Accounts {
  private readonly db: Database;
  private readonly mailer: Mailer;
  private readonly issuer: string;
  private readonly signupOpen: boolean;
  private readonly throttle: MailThrottle;
  private readonly sessionsEnded: (ended: { sid: string } | { subject: string }) => void;
  private readonly appAccessRevoked: (subject: string) => void;

  constructor(options: AccountsOptions) {
    this.db = options.db;
    this.mailer = options.mailer;
    this.issuer = options.issuer;
    this.signupOpen = options.signupOpen;
    this.throttle = new MailThrottle(options.db);
    this.sessionsEnded = options.sessionsEnded ?? (() => {});
    this.appAccessRevoked = options.appAccessRevoked ?? (() => {});
  }

  /** A URL of this app, built from ISSUER alone. */
  link(path: string, params: Record<string, string> = {}): string {
    const url = new URL(`${this.issuer}${path}`);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  }

  private async throttled(recipient: string, client: string | undefined): Promise<MailOutcome | undefined> {
    const verdict = await this.throttle.attempt(recipient, client);
    return verdict.allowed ? undefined : { ok: false, code: "throttled", retryAt: verdict.retryAt };
  }

  /**
   * Stores a new link; undefined when the person was deleted meanwhile
   * (their row went between the read and this write). The older links of
   * its purpose keep working until the message carrying this one is out
   * (sendLink): a message that cannot be sent must not take away the link
   * the person already has.
   */
  private async issue(input: Parameters<typeof newToken>[0]): Promise<NewLink | undefined> {
    const link = newToken(input);
    try {
      await storeToken(this.db, link.row);
    } catch (error) {
      if (isForeignKeyViolation(error)) return undefined;
      throw error;
    }
    return link;
  }

  /**
   * Sends the message that carries `link`. Once it is out only that link
   * works (the older ones of its purpose go); when it cannot be sent, it goes
   * and the older ones keep working.
   */
  private async sendLink(
    to: string,
    message: Parameters<Mailer["send"]>[1],
    link: NewLink,
  ): Promise<MailOutcome> {
    const sent = await this.send(to, message);
    if (sent.ok) await voidOlderTokens(this.db, link.row);
    else await this.db.accountToken.deleteMany({ where: { id: link.row.id } });
    return sent;
  }

  private async send(to: string, message: Parameters<Mailer["send"]>[1]): Promise<MailOutcome> {
    const result = await this.mailer.send(to, message);
    return result.sent ? { ok: true } : { ok: false, code: "mail_failed" };
  }

  /**
   * A new account, unverified, with a link to verify it; or, for an address
   * that has one, a message saying so. If the message cannot be sent, the new
   * account is removed again, so that trying again starts afresh.
   */
  async signUp(
    input: { name: string; email: string; password: string },
    client: string | undefined,
  ): Promise<MailOutcome> {
    const email = normalizeEmail(input.email);
    const limited = await this.throttled(email, client);
    if (limited) return limited;
    const passwordHash = await hashPassword(input.password);
    const existing = await this.db.user.findUnique({ where: { email }, select: PUBLIC_FIELDS });
    if (existing) return this.sendAlreadyRegistered(existing);

    // The link is mailed first and the account written after, in one transaction: a mail server
    // that is down leaves nothing behind (no second write to undo the first), and no transaction
    // waits on the mail server. The link works once its row is committed, a moment later.
    const id = randomUUID();
    const name = input.name.trim();
    const link = newToken({ userId: id, purpose: "verify_email", email });
    // No greeting by name: the address is not confirmed yet (see greetingName).
    const sent = await this.send(
      email,
      verifyEmailMessage({ link: this.link("/verify-email", { token: link.token }) }),
    );
    if (!sent.ok) return sent;
    try {
      await this.db.$transaction(async (tx) => {
        await tx.user.create({ data: { id, email, name, passwordHash } });
        await storeToken(tx, link.row);
      });
    } catch (error) {
      // Signed up twice at once: the other request made the account, and the link just mailed
      // never works (its row was not written); the next message tells the owner what to do.
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.db.user.findUnique({ where: { email }, select: PUBLIC_FIELDS });
      return winner ? this.sendAlreadyRegistered(winner) : { ok: false, code: "mail_failed" };
    }
    return sent;
  }

  private sendAlreadyRegistered(
    user: User,
    asked: "sign_up" | "change_email" = "sign_up",
  ): Promise<MailOutcome> {
    return this.send(
      user.email,
      alreadyRegisteredMessage({
        name: greetingName(user),
        signInLink: this.link("/login"),
        resetLink: this.link("/forgot-password"),
        asked,
      }),
    );
  }

  /** Mails a new verification link to a signed-in person's address; older links stop working. */
  async resendVerification(user: User, client: string | undefined): Promise<MailOutcome> {
    const limited = await this.throttled(user.email, client);
    if (limited) return limited;
    const link = await this.issue({ userId: user.id, purpose: "verify_email", email: user.email });
    // Deleted meanwhile (another tab): nobody to mail; the next page finds no one signed in.
    if (link === undefined) return { ok: true };
    return this.sendLink(
      user.email,
      verifyEmailMessage({ link: this.link("/verify-email", { token: link.token }) }),
      link,
    );
  }

  /** What a verification or new-address link would do, without using it. */
  async inspectEmailLink(
    token: unknown,
  ): Promise<LinkOutcome<{ user: User; email: string; change: boolean }>> {
    const found = await findToken(this.db, token, ["verify_email", "change_email"]);
    if (!found.ok) return found;
    const user = await this.db.user.findUnique({ where: { id: found.row.userId }, select: PUBLIC_FIELDS });
    if (!user) return { ok: false, problem: "invalid" };
    // A verification link is for the address it was sent to; after a change of address it is void.
    if (found.row.purpose === "verify_email" && found.row.email !== user.email) {
      return { ok: false, problem: "invalid" };
    }
    return { ok: true, user, email: found.row.email, change: found.row.purpose === "change_email" };
  }

  /**
   * Follows a verification or new-address link: marks the address verified,
   * or makes the new address the account's, in one transaction that also
   * uses the link up. After a change, the old address is told, with a link
   * that puts it back (restoreEmail), stored in the same transaction.
   */
  async confirmEmail(token: unknown): Promise<LinkOutcome | { ok: false; problem: "taken" }> {
    const found = await findToken(this.db, token, ["verify_email", "change_email"]);
    if (!found.ok) return found;
    const { row } = found;
    const before = await this.db.user.findUnique({ where: { id: row.userId }, select: PUBLIC_FIELDS });
    if (!before) return { ok: false, problem: "invalid" };
    if (row.purpose === "verify_email" && row.email !== before.email)
      return { ok: false, problem: "invalid" };
    // The link for the old address to undo the change: only when there is a change to undo.
    const undo =
      row.purpose === "change_email" && before.email !== row.email
        ? newToken({ userId: row.userId, purpose: "restore_email", email: before.email })
        : undefined;
    let user: User | null;
    try {
      user = await this.db.$transaction(async (tx) => {
        // The person's row is written first, as a deletion of the person takes it before the links
        // that hang on it: the other order deadlocks with a deletion on PostgreSQL. A verification
        // only counts for the address it was sent to, a change only while the account still has the
        // address the undo link goes to; a person deleted meanwhile matches nothing.
        const { count } = await tx.user.updateMany({
          where:
            row.purpose === "verify_email"
              ? { id: row.userId, email: row.email }
              : { id: row.userId, email: before.email },
          data: { email: row.email, emailVerifiedAt: new Date() },
        });
        if (count === 0) return null;
        if (!(await spendToken(tx, row.id))) throw new LinkAlreadyUsed();
        if (row.purpose === "change_email") {
          // Links mailed to the old address go: a reset link would work again should the account
          // move back to that address within its hour. So does the undo link of an earlier change:
          // it would move the account to an address it left twice ago.
          await voidTokens(tx, row.userId, ["verify_email", "reset_password", "restore_email"]);
          if (undo) await storeToken(tx, undo.row);
        }
        return tx.user.findUnique({ where: { id: row.userId }, select: PUBLIC_FIELDS });
      });
    } catch (error) {
      if (error instanceof LinkAlreadyUsed) return { ok: false, problem: "invalid" };
      // Someone else took the address between the request and the confirmation.
      if (isUniqueViolation(error)) return { ok: false, problem: "taken" };
      throw error;
    }
    if (!user) return { ok: false, problem: "invalid" };
    if (undo) {
      await this.send(
        before.email,
        emailChangedMessage({
          name: greetingName(before),
          newEmail: user.email,
          undoLink: this.link("/restore-email", { token: undo.token }),
        }),
      );
    }
    return { ok: true, user };
  }

  /**
   * What an undo link (mailed to the old address after a change) would do,
   * without using it: the account, its current address and the old one to
   * put back; "taken" when another account has the old address by now.
   */
  async inspectRestoreLink(
    token: unknown,
  ): Promise<LinkOutcome<{ user: User; email: string }> | { ok: false; problem: "taken" }> {
    const found = await findToken(this.db, token, ["restore_email"]);
    if (!found.ok) return found;
    const user = await this.db.user.findUnique({ where: { id: found.row.userId }, select: PUBLIC_FIELDS });
    if (!user || user.email === found.row.email) return { ok: false, problem: "invalid" };
    if (await this.db.user.findUnique({ where: { email: found.row.email }, select: { id: true } })) {
      return { ok: false, problem: "taken" };
    }
    return { ok: true, user, email: found.row.email };
  }

  /**
   * "This wasn't me": follows an undo link. In one transaction the old
   * address becomes the account's again (verified: the link was read
   * there) with the new password the person chose on the link's page (whoever
   * changed the address may know the old one, and would otherwise sign in
   * again with the address put back), every link of the person goes (this
   * one, a pending change of address, resets mailed to the other address),
   * every session ends and remembered decisions are forgotten. Then the
   * server is told that every session of the person ended (back-channel
   * logout, as "sign out everywhere") and every app's access is revoked. An
   * old address another account uses by now is refused, and nothing changes.
   */
  async restoreEmail(
    token: unknown,
    password: string,
  ): Promise<LinkOutcome | { ok: false; problem: "taken" }> {
    const found = await findToken(this.db, token, ["restore_email"]);
    if (!found.ok) return found;
    const { row } = found;
    const owner = await this.db.user.findUnique({ where: { email: row.email }, select: { id: true } });
    if (owner) return { ok: false, problem: owner.id === row.userId ? "invalid" : "taken" };
    const passwordHash = await hashPassword(password);
    let user: User | null;
    try {
      user = await this.db.$transaction(async (tx) => {
        // The person's row first, as a deletion of the person takes it before the rows that hang on
        // it (the other order deadlocks with a deletion on PostgreSQL).
        const { count } = await tx.user.updateMany({
          where: { id: row.userId },
          data: { email: row.email, emailVerifiedAt: new Date(), passwordHash },
        });
        if (count === 0) return null;
        if (!(await spendToken(tx, row.id))) throw new LinkAlreadyUsed();
        await voidTokens(tx, row.userId, ALL_PURPOSES);
        await tx.session.deleteMany({ where: { userId: row.userId } });
        await tx.rememberedGrant.deleteMany({ where: { userId: row.userId } });
        return tx.user.findUnique({ where: { id: row.userId }, select: PUBLIC_FIELDS });
      });
    } catch (error) {
      if (error instanceof LinkAlreadyUsed) return { ok: false, problem: "invalid" };
      // Another account took the old address between the check and the change: nothing changed.
      if (isUniqueViolation(error)) return { ok: false, problem: "taken" };
      throw error;
    }
    if (!user) return { ok: false, problem: "invalid" };
    this.sessionsEnded({ subject: user.id });
    this.appAccessRevoked(user.id);
    return { ok: true, user };
  }

  /**
   * "Forgot password?": a reset link for an address with an account, a
   * message saying there is none otherwise. Same answer either way.
   */
  async requestPasswordReset(address: string, client: string | undefined): Promise<MailOutcome> {
    const email = normalizeEmail(address);
    const limited = await this.throttled(email, client);
    if (limited) return limited;
    const user = await this.db.user.findUnique({ where: { email }, select: PUBLIC_FIELDS });
    // No account, or one deleted since it was read: the message says there is none.
    const link = user ? await this.issue({ userId: user.id, purpose: "reset_password", email }) : undefined;
    if (!user || link === undefined) {
      return this.send(
        email,
        noAccountMessage({ signUpLink: this.signupOpen ? this.link("/signup") : undefined }),
      );
    }
    return this.sendLink(
      email,
      resetPasswordMessage({
        name: greetingName(user),
        link: this.link("/reset-password", { token: link.token }),
      }),
      link,
    );
  }

  /** Whether a reset link still works, for the page that asks for the new password. */
  async inspectResetLink(token: unknown): Promise<LinkOutcome> {
    const found = await findToken(this.db, token, ["reset_password"]);
    if (!found.ok) return found;
    const user = await this.db.user.findUnique({ where: { id: found.row.userId }, select: PUBLIC_FIELDS });
    if (!user || user.email !== found.row.email) return { ok: false, problem: "invalid" };
    return { ok: true, user };
  }

  /**
   * Sets the new password from a reset link, in one transaction that uses
   * the link and every other reset link of the person up, and ends every
   * session of theirs (whoever knew the old password is signed out). Then
   * the server is told that every session of the person ended, so every app
   * they signed in to through any of them is sent a logout token — those of
   * sessions that had expired too: whoever knew the old password leaves
   * every app. The link proves the person reads mail at the address, so the
   * address counts as verified. Whoever knew the old password — or made the
   * account before its owner (pre-account takeover) — keeps nothing: pending
   * links for a new password or address and remembered decisions go in the
   * same transaction, and every app's access is revoked at the server.
   */
  async resetPassword(token: unknown, password: string): Promise<LinkOutcome> {
    const found = await findToken(this.db, token, ["reset_password"]);
    if (!found.ok) return found;
    const { row } = found;
    const passwordHash = await hashPassword(password);
    let user: User | null;
    try {
      user = await this.db.$transaction(async (tx) => {
        // The person's row first, as a deletion of the person takes it before the rows that hang on
        // it (the other order deadlocks with a deletion on PostgreSQL). Only while the account still
        // has the address the link was sent to; otherwise the pending links go and nothing else changes.
        const { count } = await tx.user.updateMany({
          where: { id: row.userId, email: row.email },
          data: { passwordHash, emailVerifiedAt: new Date() },
        });
        if (!(await spendToken(tx, row.id))) throw new LinkAlreadyUsed();
        await voidTokens(tx, row.userId, VOIDED_BY_NEW_PASSWORD);
        if (count === 0) return null;
        await tx.session.deleteMany({ where: { userId: row.userId } });
        await tx.rememberedGrant.deleteMany({ where: { userId: row.userId } });
        return tx.user.findUnique({ where: { id: row.userId }, select: PUBLIC_FIELDS });
      });
    } catch (error) {
      if (error instanceof LinkAlreadyUsed) return { ok: false, problem: "invalid" };
      throw error;
    }
    if (!user) return { ok: false, problem: "invalid" };
    this.sessionsEnded({ subject: user.id });
    this.appAccessRevoked(user.id);
    return { ok: true, user };
  }

  async changeName(userId: string, name: string): Promise<User> {
    return this.db.user.update({ where: { id: userId }, data: { name: name.trim() }, select: PUBLIC_FIELDS });
  }

  /**
   * Replaces the password (the caller checked the current one, throttled as
   * a sign-in), voids pending links for a new password or address, and ends
   * every other session of the person, in one transaction; the server is then told of each live one that ended, so the
   * apps it signed in to are sent a logout token, and those of the session
   * kept are not.
   */
  async setPassword(userId: string, password: string, keepSid: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    const others = { userId, sid: { not: keepSid } };
    const now = new Date();
    const ended = await this.db.$transaction(async (tx) => {
      await tx.user.update({ where: { id: userId }, data: { passwordHash } });
      await voidTokens(tx, userId, VOIDED_BY_NEW_PASSWORD);
      const live = await tx.session.findMany({
        where: { ...others, expiresAt: { gt: now } },
        select: { sid: true },
      });
      await tx.session.deleteMany({ where: others });
      return live;
    });
    for (const { sid } of ended) this.sessionsEnded({ sid });
  }

  /**
   * Mails a link to the new address; the account keeps its address until the
   * link is followed. An address that already has an account gets a message
   * saying so instead, and the person here sees the same answer.
   */
  async requestEmailChange(user: User, address: string, client: string | undefined): Promise<MailOutcome> {
    const email = normalizeEmail(address);
    const limited = await this.throttled(email, client);
    if (limited) return limited;
    const owner = await this.db.user.findUnique({ where: { email }, select: PUBLIC_FIELDS });
    if (owner) {
      // The person's earlier link for a new address stops working as it does when a link goes out:
      // else the requester, who holds that earlier link, could open it to learn whether this
      // address has an account (still working: it has one).
      const sent = await this.sendAlreadyRegistered(owner, "change_email");
      if (sent.ok) await voidTokens(this.db, user.id, ["change_email"]);
      return sent;
    }
    const link = await this.issue({ userId: user.id, purpose: "change_email", email });
    // Deleted meanwhile (another tab): nobody to mail; the next page finds no one signed in.
    if (link === undefined) return { ok: true };
    return this.sendLink(
      email,
      // The new address is not confirmed: no name (see greetingName).
      confirmNewEmailMessage({ link: this.link("/verify-email", { token: link.token }) }),
      link,
    );
  }
}

import type { RowShape } from "@/db/raw.ts";
import type { LoginThrottle, RememberedGrant, Session } from "@/generated/prisma/sqlite/client.ts";
import type { User } from "@/lib/users/store.ts";

/**
 * The app's rows every page and the consent step read by key, as prepared
 * statements (rawQueries(db).rowByKey) rather than Prisma's `findUnique`: the
 * session record and the person behind a cookie, and a remembered decision;
 * and what a sign-in reads and writes: the person by email, the throttles.
 * Each names every column of what it reads; a field added to the model
 * without being added here fails the type check.
 */

export const SESSION_ROW: RowShape<Session> = {
  name: "app_session",
  table: "sessions",
  key: "id",
  columns: {
    id: "text",
    sid: "text",
    userId: "text",
    createdAt: "date",
    authTime: "date",
    lastSeenAt: "date",
    expiresAt: "date",
    persistent: "bool",
    userAgent: "text",
    ipAddress: "text",
    amr: "text",
  },
};

/** A person as pages see them: never the password hash. */
export const USER_ROW: RowShape<User> = {
  name: "app_user",
  table: "users",
  key: "id",
  columns: {
    id: "text",
    email: "text",
    name: "text",
    emailVerifiedAt: "date",
    createdAt: "date",
    updatedAt: "date",
  },
};

/** A person by email with the hash their password is checked against: the sign-in only. */
export const USER_CREDENTIALS_ROW: RowShape<User & { passwordHash: string }> = {
  name: "app_user_credentials",
  table: "users",
  key: "email",
  columns: { ...USER_ROW.columns, passwordHash: "text" },
};

export const LOGIN_THROTTLE_ROW: RowShape<LoginThrottle> = {
  name: "app_login_throttle",
  table: "login_throttles",
  key: "key",
  columns: {
    key: "text",
    failures: "int",
    lastFailedAt: "date",
    lockedUntil: "date",
  },
};

export const REMEMBERED_GRANT_ROW: RowShape<RememberedGrant> = {
  name: "app_remembered_grant",
  table: "remembered_grants",
  key: ["userId", "clientId"],
  columns: {
    id: "text",
    userId: "text",
    clientId: "text",
    scopes: "text",
    createdAt: "date",
    updatedAt: "date",
  },
};

import type pg from "pg";

// A PostgreSQL DATABASE_URL read into pg's settings. No runtime import of pg: common/config.ts checks the URL with it.

/** The query parameters a PostgreSQL DATABASE_URL may carry (README, "Configuration"). */
const PARAMETERS = [
  "schema",
  "sslmode",
  "host",
  "connection_limit",
  "connect_timeout",
  "application_name",
  "pgbouncer",
];
const SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full"];
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * What is wrong with a PostgreSQL URL's query parameters, in one line that names
 * the parameter and never the password; undefined when nothing is. A parameter
 * Portico does not apply is refused rather than ignored: an ignored `schema`
 * put every table in `public`, where another instance's data lives.
 */
export function postgresUrlProblem(databaseUrl: string): string | undefined {
  const params = new URL(databaseUrl).searchParams;
  for (const [name, value] of params) {
    if (!PARAMETERS.includes(name))
      return `DATABASE_URL: the parameter ${name} is not supported (supported: ${PARAMETERS.join(", ")})`;
    if (params.getAll(name).length > 1) return `DATABASE_URL: the parameter ${name} is given twice`;
    if (name === "schema" && !SCHEMA.test(value))
      return "DATABASE_URL: schema must be a name of letters, digits and _ (at most 63), not starting with a digit";
    if (name === "sslmode" && !SSL_MODES.includes(value))
      return `DATABASE_URL: sslmode must be one of ${SSL_MODES.join(", ")}`;
    if (name === "host" && !value.startsWith("/"))
      return "DATABASE_URL: host must be the folder of a Unix socket, such as /var/run/postgresql";
    if (name === "connection_limit" && !/^[1-9]\d{0,3}$/.test(value))
      return "DATABASE_URL: connection_limit must be a whole number from 1 to 9999";
    if (name === "connect_timeout" && !/^\d{1,6}$/.test(value))
      return "DATABASE_URL: connect_timeout must be a whole number of seconds (0: no limit)";
    if (name === "pgbouncer" && value !== "true" && value !== "false")
      return "DATABASE_URL: pgbouncer must be true or false";
  }
  // PgBouncer refuses the startup parameter that sets a schema's search_path (`options`), and in
  // transaction pooling a SET would not outlive its transaction: the tables would be sought in public.
  if (params.get("pgbouncer") === "true" && params.has("schema"))
    return "DATABASE_URL: schema cannot be used with pgbouncer=true (a pooler does not keep a connection's search_path): give the instance a database of its own";
  return undefined;
}

/**
 * Whether a PostgreSQL URL goes through a pooler in transaction mode (`?pgbouncer=true`, as Prisma
 * reads it): each statement may run on another server connection, so no named prepared statements.
 */
export function behindPooler(databaseUrl: string): boolean {
  return new URL(databaseUrl).searchParams.get("pgbouncer") === "true";
}

/** The schema a PostgreSQL URL names (`?schema=`, as Prisma reads it), or undefined for the role's default (`public`). */
export function postgresSchema(databaseUrl: string): string | undefined {
  return new URL(databaseUrl).searchParams.get("schema") ?? undefined;
}

function sslOf(mode: string | null): pg.ClientConfig["ssl"] {
  if (mode === "require") return { rejectUnauthorized: false };
  if (mode === "verify-ca") return { checkServerIdentity: () => undefined };
  if (mode === "verify-full") return {};
  return undefined;
}

/**
 * Discrete connection settings for pg: a connection string would override the database name.
 * Applies the query parameters postgresUrlProblem accepts (`connection_limit` is the pool's
 * `max`); `schema` sets each connection's search_path, so the migrations and the prepared
 * statements of db/raw.ts use it as Prisma's queries do.
 */
export function postgresSettings(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const params = url.searchParams;
  const schema = params.get("schema");
  const limit = params.get("connection_limit");
  const timeout = params.get("connect_timeout");
  return {
    // An IPv6 address comes bracketed ([::1]); pg wants it bare.
    host: params.get("host") ?? url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    ssl: sslOf(params.get("sslmode")),
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
    ...(limit ? { max: Number(limit) } : {}),
    ...(timeout && timeout !== "0" ? { connectionTimeoutMillis: Number(timeout) * 1000 } : {}),
    ...(params.has("application_name") ? { application_name: params.get("application_name") as string } : {}),
  };
}

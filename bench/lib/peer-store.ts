/**
 * A shared store for the peer's sign-in flows: oidc-provider's adapter
 * interface over SQLite (better-sqlite3, WAL, synchronous=NORMAL — Portico's
 * default) or PostgreSQL (pg), so that the peer's sessions, interactions,
 * grants and codes are visible to every worker, as Portico's are. The stock
 * in-memory adapter is per process: with two workers behind node:cluster, a
 * flow whose requests land on different workers fails there.
 */
import Database from "better-sqlite3";
import pg from "pg";

export interface AdapterPayload {
  [key: string]: unknown;
}

export interface Adapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(code: string): Promise<AdapterPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

const now = () => Math.floor(Date.now() / 1000);
const expiry = (expiresIn?: number) => (expiresIn ? now() + expiresIn : null);

interface Row {
  payload: string;
}

interface SharedStore {
  /** Creates the table (idempotent); run once before the workers start. */
  prepare(): Promise<void>;
  adapter(model: string): Adapter;
}

function sqliteStore(path: string): SharedStore {
  let db: Database.Database | undefined;
  const open = () => {
    if (!db) {
      db = new Database(path);
      db.pragma("busy_timeout = 5000");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
    }
    return db;
  };
  const SCHEMA = `CREATE TABLE IF NOT EXISTS oidc (
      model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL,
      grant_id TEXT, uid TEXT, user_code TEXT, expires_at INTEGER,
      PRIMARY KEY (model, id));
    CREATE INDEX IF NOT EXISTS oidc_grant ON oidc (grant_id);
    CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid);`;
  return {
    async prepare() {
      open().exec(SCHEMA);
    },
    adapter(model) {
      const statements = () => {
        const d = open();
        return {
          upsert: d.prepare(
            "INSERT INTO oidc (model, id, payload, grant_id, uid, user_code, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) " +
              "ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, " +
              "uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at",
          ),
          find: d.prepare(
            "SELECT payload FROM oidc WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)",
          ),
          findByUid: d.prepare(
            "SELECT payload FROM oidc WHERE model = ? AND uid = ? AND (expires_at IS NULL OR expires_at > ?)",
          ),
          findByUserCode: d.prepare(
            "SELECT payload FROM oidc WHERE model = ? AND user_code = ? AND (expires_at IS NULL OR expires_at > ?)",
          ),
          consume: d.prepare(
            "UPDATE oidc SET payload = json_set(payload, '$.consumed', ?) WHERE model = ? AND id = ?",
          ),
          destroy: d.prepare("DELETE FROM oidc WHERE model = ? AND id = ?"),
          revoke: d.prepare("DELETE FROM oidc WHERE grant_id = ?"),
        };
      };
      let s: ReturnType<typeof statements> | undefined;
      const get = () => {
        s ??= statements();
        return s;
      };
      const parse = (row: unknown) =>
        row ? (JSON.parse((row as Row).payload) as AdapterPayload) : undefined;
      return {
        async upsert(id, payload, expiresIn) {
          get().upsert.run(
            model,
            id,
            JSON.stringify(payload),
            (payload.grantId as string | undefined) ?? null,
            (payload.uid as string | undefined) ?? null,
            (payload.userCode as string | undefined) ?? null,
            expiry(expiresIn),
          );
        },
        async find(id) {
          return parse(get().find.get(model, id, now()));
        },
        async findByUid(uid) {
          return parse(get().findByUid.get(model, uid, now()));
        },
        async findByUserCode(code) {
          return parse(get().findByUserCode.get(model, code, now()));
        },
        async consume(id) {
          get().consume.run(now(), model, id);
        },
        async destroy(id) {
          get().destroy.run(model, id);
        },
        async revokeByGrantId(grantId) {
          get().revoke.run(grantId);
        },
      };
    },
  };
}

function postgresStore(url: string): SharedStore {
  let pool: pg.Pool | undefined;
  const open = () => {
    pool ??= new pg.Pool({ connectionString: url, max: 10 });
    return pool;
  };
  const one = async (sql: string, values: unknown[]) => {
    const { rows } = await open().query<{ payload: AdapterPayload }>(sql, values);
    return rows[0]?.payload;
  };
  return {
    async prepare() {
      await open().query(`CREATE TABLE IF NOT EXISTS oidc (
          model text NOT NULL, id text NOT NULL, payload jsonb NOT NULL,
          grant_id text, uid text, user_code text, expires_at bigint,
          PRIMARY KEY (model, id));
        CREATE INDEX IF NOT EXISTS oidc_grant ON oidc (grant_id);
        CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid);`);
      await pool?.end();
      pool = undefined;
    },
    adapter(model) {
      return {
        async upsert(id, payload, expiresIn) {
          await open().query(
            "INSERT INTO oidc (model, id, payload, grant_id, uid, user_code, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) " +
              "ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, " +
              "uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at",
            [
              model,
              id,
              payload,
              payload.grantId ?? null,
              payload.uid ?? null,
              payload.userCode ?? null,
              expiry(expiresIn),
            ],
          );
        },
        find: (id) =>
          one(
            "SELECT payload FROM oidc WHERE model = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > $3)",
            [model, id, now()],
          ),
        findByUid: (uid) =>
          one(
            "SELECT payload FROM oidc WHERE model = $1 AND uid = $2 AND (expires_at IS NULL OR expires_at > $3)",
            [model, uid, now()],
          ),
        findByUserCode: (code) =>
          one(
            "SELECT payload FROM oidc WHERE model = $1 AND user_code = $2 AND (expires_at IS NULL OR expires_at > $3)",
            [model, code, now()],
          ),
        async consume(id) {
          await open().query(
            "UPDATE oidc SET payload = jsonb_set(payload, '{consumed}', to_jsonb($1::bigint)) WHERE model = $2 AND id = $3",
            [now(), model, id],
          );
        },
        async destroy(id) {
          await open().query("DELETE FROM oidc WHERE model = $1 AND id = $2", [model, id]);
        },
        async revokeByGrantId(grantId) {
          await open().query("DELETE FROM oidc WHERE grant_id = $1", [grantId]);
        },
      };
    },
  };
}

/** `file:/path` → SQLite, `postgresql://…` → PostgreSQL. */
export function sharedStore(url: string): SharedStore {
  if (url.startsWith("file:")) return sqliteStore(url.slice("file:".length));
  if (/^postgres(ql)?:\/\//.test(url)) return postgresStore(url);
  throw new Error(`PEER_STORE must be file:… or postgresql://…, not ${url}`);
}

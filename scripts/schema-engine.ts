// Prisma's schema engine (the one behind `prisma migrate`), run offline: the
// CLI insists on downloading a native binary, so this drives the same engine
// compiled to wasm through Prisma's driver adapters. Used to author migrations
// and to check for drift — development tooling, never loaded by the server;
// applying migrations at start-up is db/migrate.ts's job.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorRegistry,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
} from "@prisma/driver-adapter-utils";
import type {
  MigrationList,
  SchemaEngine,
  SchemaFilter,
  SchemasContainer,
} from "@prisma/schema-engine-wasm/schema_engine_bg";
import * as wasmBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { type Provider, providerOf, sqlitePath } from "@/db/client.ts";
import { migrationsDir, readMigrations } from "@/db/migrate.ts";
import {
  createPostgresDatabase,
  dropPostgresDatabase,
  postgresSchema,
  postgresSettings,
  withPostgresConnection,
} from "@/db/postgres-server.ts";

/** The schema file each backend is migrated to; the PostgreSQL one is generated from the SQLite one. */
function schemaPath(provider: Provider, root = process.cwd()): string {
  return provider === "sqlite"
    ? join(root, "prisma", "schema.prisma")
    : join(root, "prisma", "postgres", "schema.prisma");
}

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

let wasmReady: Promise<void> | undefined;

// The engine arms 10 s timeouts (setTimeout, never cleared: the glue imports
// no clearTimeout), which would keep every CLI run alive 10 s after its work
// is done. They are cleared once no engine is open any more.
const engineTimers = new Set<ReturnType<typeof setTimeout>>();
let openEngines = 0;

function engineSetTimeout(callback: () => void, ms: number) {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, ms >>> 0);
  engineTimers.add(timer);
  return timer;
}

// The package's main entry imports the .wasm as an ES module, which Node 20
// only allows behind --experimental-wasm-modules; instantiating it by hand
// against the JS glue works everywhere and costs ≈ 30 ms (lazy compilation).
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const glue = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(glue.replace(/\.js$/, ".wasm"));
    const imports: Record<string, unknown> = { ...wasmBindings };
    const setTimeoutImport = Object.keys(imports).find((key) => key.startsWith("__wbg_setTimeout_"));
    if (setTimeoutImport) imports[setTimeoutImport] = engineSetTimeout;
    const { instance } = await WebAssembly.instantiate(bytes, {
      "./schema_engine_bg.js": imports as WebAssembly.ModuleImports,
    });
    wasmBindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmReady;
}

/** Adapters handed to the engine, plus what must be cleaned up once it is done. */
interface AdapterFactory {
  factory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

/** Wraps an adapter so that disposing it twice (the engine and our cleanup) is harmless. */
function delegate(
  adapter: SqlDriverAdapter,
  overrides: {
    executeRaw?: (query: SqlQuery) => Promise<number>;
    executeScript?: (script: string) => Promise<void>;
    dispose?: () => Promise<void>;
  } = {},
): SqlDriverAdapter {
  let disposed: Promise<void> | undefined;
  const dispose = overrides.dispose ?? (() => adapter.dispose());
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => adapter.queryRaw(query),
    executeRaw: overrides.executeRaw ?? ((query) => adapter.executeRaw(query)),
    executeScript: overrides.executeScript ?? ((script) => adapter.executeScript(script)),
    startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
    ...(adapter.getConnectionInfo ? { getConnectionInfo: () => adapter.getConnectionInfo!() } : {}),
    dispose: () => {
      disposed ??= dispose();
      return disposed;
    },
  };
}

function tracked(): { add(adapter: SqlDriverAdapter): SqlDriverAdapter; disposeAll(): Promise<void> } {
  const adapters = new Set<SqlDriverAdapter>();
  return {
    add(adapter) {
      adapters.add(adapter);
      return adapter;
    },
    async disposeAll() {
      await Promise.allSettled([...adapters].map((adapter) => adapter.dispose()));
    },
  };
}

// The engine sends whole migration scripts through executeRaw (it does so to
// the shadow database while replaying history); better-sqlite3 prepares one
// statement at a time and refuses them, so such scripts go through exec().
function sqliteScriptTolerant(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return delegate(adapter, {
    async executeRaw(query) {
      try {
        return await adapter.executeRaw(query);
      } catch (error) {
        if (
          query.args.length > 0 ||
          !(error instanceof RangeError) ||
          !/more than one statement/.test(error.message)
        )
          throw error;
        await adapter.executeScript(query.sql);
        return 0;
      }
    },
  });
}

function sqliteAdapters(databaseUrl: string): AdapterFactory {
  // timeout: wait for a lock held by a running server instead of failing at once.
  const base = new PrismaBetterSqlite3({ url: sqlitePath(databaseUrl), timeout: 30_000 });
  const adapters = tracked();
  return {
    factory: {
      provider: "sqlite",
      adapterName: base.adapterName,
      connect: async () => adapters.add(sqliteScriptTolerant(await base.connect())),
      // In memory (the adapter's default): nothing to create or drop.
      connectToShadowDb: async () => adapters.add(sqliteScriptTolerant(await base.connectToShadowDb())),
    },
    close: () => adapters.disposeAll(),
  };
}

const PG_CHAR = 18;
const PG_TEXT = 25;

// The engine's introspection selects catalog columns of type "char" (OID 18),
// which adapter-pg refuses to map. The values arrive as one-letter strings, so
// calling them text is exact; this pool is only ever used by the migration tool.
function charAsTextPool(config: pg.PoolConfig): pg.Pool {
  const relabel = (result: pg.QueryResult | undefined) => {
    for (const field of result?.fields ?? []) if (field.dataTypeID === PG_CHAR) field.dataTypeID = PG_TEXT;
    return result;
  };
  const pool = new pg.Pool({ ...config, max: 4 });
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      // pool.query() passes a callback; a checked-out client (transactions) uses the promise.
      const callback = args.at(-1);
      if (typeof callback === "function")
        return query(...args.slice(0, -1), (error: Error | null, result?: pg.QueryResult) =>
          callback(error, relabel(result)),
        );
      const result = query(...args);
      return result instanceof Promise ? result.then(relabel) : result;
    }) as typeof client.query;
  });
  return pool;
}

/**
 * adapter-pg runs a script statement by statement, cut at every ";" — also one in a comment or a
 * string literal, so a migration whose comment holds one (20261207130112_code_redirect_uri_given)
 * failed to replay on the scratch and shadow databases ("syntax error at or near …") and
 * `npm run db:migration` wrote nothing. PostgreSQL takes a whole script as one simple query (a
 * query without parameters), as Prisma's native engine sends it; executeRaw without arguments is
 * one, with the adapter's own error mapping.
 */
function wholePostgresScripts(
  adapter: SqlDriverAdapter,
  overrides: { dispose?: () => Promise<void> } = {},
): SqlDriverAdapter {
  return delegate(adapter, {
    ...overrides,
    executeScript: async (script) => {
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    },
  });
}

function postgresAdapters(databaseUrl: string): AdapterFactory {
  // Discrete settings, not a connection string: pg lets a connection string
  // override `database`, which would point the shadow adapter at the main database.
  const settings = postgresSettings(databaseUrl);
  const adapters = tracked();
  const shadows = new Set<string>();
  // Never throws: a failed clean-up must not fail the migration work itself.
  const dropShadow = async (name: string) => {
    if (!shadows.delete(name)) return;
    try {
      // The engine may still hold pooled connections to it.
      await withPostgresConnection(settings, (client) => dropPostgresDatabase(client, name));
    } catch (error) {
      console.warn(`could not drop the shadow database ${name}: ${(error as Error).message}`);
    }
  };
  // `?schema=`: the engine introspects the schema its adapter names (public otherwise, where a
  // database migrated into another schema has no tables: db:diff called it all drift).
  const schema = postgresSchema(databaseUrl);
  const open = (config: pg.PoolConfig, inSchema?: string) =>
    new PrismaPg(charAsTextPool(config), { disposeExternalPool: true, schema: inSchema }).connect();
  return {
    factory: {
      provider: "postgres",
      adapterName: "@prisma/adapter-pg",
      connect: async () => adapters.add(wholePostgresScripts(await open(settings, schema))),
      // adapter-pg's own shadow database is dropped while its pool is still
      // connected, so the drop fails and the database leaks: manage it here.
      connectToShadowDb: async () => {
        const name = `prisma_shadow_${randomUUID().replaceAll("-", "")}`;
        await withPostgresConnection(settings, (client) => createPostgresDatabase(client, name));
        shadows.add(name);
        try {
          const adapter = await open({ ...settings, database: name });
          return adapters.add(
            wholePostgresScripts(adapter, {
              dispose: async () => {
                await adapter.dispose();
                await dropShadow(name);
              },
            }),
          );
        } catch (error) {
          await dropShadow(name);
          throw error;
        }
      },
    },
    async close() {
      await adapters.disposeAll();
      await Promise.all([...shadows].map(dropShadow));
    },
  };
}

/** The engine reports adapter failures as "External error id#N"; put the adapter's own error back. */
function withAdapterErrors(engine: SchemaEngine, registry: ErrorRegistry): SchemaEngine {
  const explain = (error: unknown): unknown => {
    if (!(error instanceof Error)) return error;
    const id = /External error id#(\d+)/.exec(error.message)?.[1];
    const record = id === undefined ? undefined : registry.consumeError(Number(id));
    if (!record) return error;
    const cause = record.error as { message?: string; cause?: unknown } | undefined;
    const detail =
      cause?.cause && typeof cause.cause === "object"
        ? JSON.stringify(cause.cause)
        : (cause?.message ?? String(cause));
    return new Error(`${error.message.split("\n")[0]}: ${detail}`, { cause: record.error });
  };
  return new Proxy(engine, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result instanceof Promise ? result.catch((error) => Promise.reject(explain(error))) : result;
      };
    },
  });
}

function logEngine(line: string): void {
  try {
    const entry = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    if (entry.level === "ERROR" || entry.level === "WARN" || process.env.DEBUG_SCHEMA_ENGINE)
      console.error(`schema-engine ${entry.level}: ${entry.fields?.message ?? line}`);
  } catch {
    console.error(`schema-engine: ${line}`);
  }
}

interface SchemaEngineContext {
  engine: SchemaEngine;
  provider: Provider;
  /** The provider's schema file, as the engine wants it. */
  schema: SchemasContainer;
  root: string;
}

/**
 * Opens the schema engine on a database, runs `use`, and always releases the
 * engine, its connections and any shadow database, even when `use` throws.
 */
async function withSchemaEngine<T>(
  databaseUrl: string,
  use: (context: SchemaEngineContext) => Promise<T>,
  root = process.cwd(),
): Promise<T> {
  const provider = providerOf(databaseUrl);
  const path = schemaPath(provider, root);
  const schema: SchemasContainer = { files: [{ path, content: readFileSync(path, "utf8") }] };
  await loadWasm();
  const adapters = provider === "sqlite" ? sqliteAdapters(databaseUrl) : postgresAdapters(databaseUrl);
  const bound = bindMigrationAwareSqlAdapterFactory(adapters.factory);
  openEngines++;
  try {
    const engine = await wasmBindings.SchemaEngine.new(
      { datamodels: schema.files.map((file) => [file.path, file.content]) },
      logEngine,
      bound,
    );
    try {
      return await use({ engine: withAdapterErrors(engine, bound.errorRegistry), provider, schema, root });
    } finally {
      engine.free();
    }
  } finally {
    await adapters.close();
    if (--openEngines === 0) {
      for (const timer of engineTimers) clearTimeout(timer);
      engineTimers.clear();
    }
  }
}

/** The provider's migrations as the engine expects them, read the same way db/migrate.ts reads them. */
function migrationList(provider: Provider, root = process.cwd()): MigrationList {
  const baseDir = migrationsDir(provider, root);
  const lockPath = join(baseDir, "migration_lock.toml");
  return {
    baseDir,
    lockfile: {
      path: "migration_lock.toml",
      content: existsSync(lockPath) ? readFileSync(lockPath, "utf8") : null,
    },
    shadowDbInitScript: "",
    migrationDirectories: readMigrations(provider, root).map((migration) => ({
      path: migration.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: migration.sql } },
    })),
  };
}

function lockfile(provider: Provider): string {
  return [
    "# Please do not edit this file manually",
    "# It should be added in your version-control system (e.g., Git)",
    `provider = "${provider}"`,
    "",
  ].join("\n");
}

/** Prisma's rule for directory names: lower-case words joined by underscores. */
function migrationSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 200);
  if (!slug) throw new Error(`invalid migration name: ${JSON.stringify(name)}`);
  return slug;
}

/** A migration directory's timestamp prefix, as Prisma writes it (UTC, YYYYMMDDHHMMSS). */
export function migrationTimestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, "YYYYMMDDHHMMSS".length);
}

interface CreateMigrationOptions {
  root?: string;
  /** Use this timestamp prefix, so one change gets the same directory name for both backends. */
  timestamp?: string;
  /**
   * The database is a throwaway used only to author migrations: wipe it
   * first instead of refusing when its history disagrees with the folder.
   */
  scratch?: boolean;
}

/**
 * `prisma migrate dev --create-only`: brings the database up to the existing
 * migrations, then writes the SQL that takes them to the current schema as
 * prisma/migrations/<provider>/<timestamp>_<name>/migration.sql. Returns the
 * new directory, or null when the migrations already match the schema.
 */
export async function createMigration(
  databaseUrl: string,
  name: string,
  options: CreateMigrationOptions = {},
): Promise<string | null> {
  const provider = providerOf(databaseUrl);
  const root = options.root ?? process.cwd();
  const slug = migrationSlug(name);
  const migrationsList = migrationList(provider, root);
  return withSchemaEngine(
    databaseUrl,
    async ({ engine, schema }) => {
      if (options.scratch) await engine.reset({ filter: NO_FILTER });
      // devDiagnostic and createMigration expect _prisma_migrations to exist,
      // and applying the history first is what creates it.
      await engine.applyMigrations({ migrationsList, filters: NO_FILTER });
      const { action } = await engine.devDiagnostic({ migrationsList, filters: NO_FILTER });
      if (action.tag === "reset")
        throw new Error(`the database must be reset before a migration can be created: ${action.reason}`);
      const created = await engine.createMigration({
        draft: false,
        migrationName: slug,
        migrationsList,
        schema,
        filters: NO_FILTER,
      });
      if (created.migrationScript === null) return null;
      const dir = join(
        migrationsList.baseDir,
        options.timestamp ? `${options.timestamp}_${slug}` : created.generatedMigrationName,
      );
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `migration.${created.extension}`), created.migrationScript);
      writeFileSync(join(migrationsList.baseDir, "migration_lock.toml"), lockfile(provider));
      return dir;
    },
    root,
  );
}

/**
 * The SQL that would bring the live database to the provider's schema file,
 * or "" when they already match: drift, or a schema change with no migration.
 */
export async function diffDatabaseAgainstSchema(databaseUrl: string, root = process.cwd()): Promise<string> {
  // better-sqlite3 would quietly create a missing file and report everything as drift.
  if (providerOf(databaseUrl) === "sqlite" && !existsSync(sqlitePath(databaseUrl)))
    throw new Error(`no SQLite database at ${sqlitePath(databaseUrl)}`);
  return withSchemaEngine(
    databaseUrl,
    async ({ engine, schema }) => {
      const result = await engine.diff({
        from: { tag: "schemaDatasource", ...schema, configDir: root },
        to: { tag: "schemaDatamodel", ...schema },
        script: true,
        exitCode: true,
        filters: NO_FILTER,
      });
      return result.exitCode === 0 ? "" : (result.stdout ?? "");
    },
    root,
  );
}

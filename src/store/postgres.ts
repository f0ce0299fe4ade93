/**
 * The networked store: PostgreSQL through node-postgres' pool, for several bot replicas sharing one
 * database. The same Store as the SQLite one (the contract tests in test/store run against both); the
 * SQL is written out for each dialect rather than generated, as the two differ where it matters (how
 * a racing insert waits, leases with FOR UPDATE SKIP LOCKED, arrays against json_each).
 *
 * Opening is asynchronous: openPostgresStore returns at once, and the first call (ready(), or any
 * method) connects and migrates; every method waits for that, and a failure is a StoreOpenError.
 */
import type { ClientConfig } from "pg";
import { loadPg } from "./pg-module.js";
import { StoreOpenError } from "./errors.js";
import { NewerSchemaError } from "./migrations.js";
import { postgresCoordination } from "./postgres-coordination.js";
import { createPgDb, numberTypes, withClient } from "./postgres-db.js";
import { postgresLeadStore } from "./postgres-leads.js";
import { migratePostgres } from "./postgres-migrations.js";
import {
  postgresEventJournal,
  postgresKeyValueStore,
  postgresRoleStore,
  postgresUpdateDeduplicator,
  postgresWindowCounters,
} from "./postgres-misc.js";
import { FINAL_STATES } from "./lead-row.js";
import type { Store } from "./types.js";
import { errorCode } from "../guards.js";

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (DATABASE_URL). */
  url: string;
  /** Schema for the tables, created if missing (DATABASE_SCHEMA). Default: the connection's search_path. */
  schema?: string | undefined;
  /** Connections for store calls (DATABASE_POOL_SIZE); chat locks get a pool of the same size. Default 10. */
  poolSize?: number | undefined;
  /** How long processed update ids are kept for de-duplication. Default 48 h. */
  updateKeepMs?: number | undefined;
  /** A connection failed while idle (the pool replaces it); without a listener these would crash the process. */
  onBackgroundError?: ((error: Error) => void) | undefined;
  /** How long connecting may take before the open (or a call) fails. Default 10 s. */
  connectTimeoutMs?: number | undefined;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_UPDATE_KEEP_MS = 48 * 60 * 60 * 1000;

/** host:port/database and the user, never the password: what an open error may show. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : "";
    return `PostgreSQL ${user}${parsed.host || "localhost"}${parsed.pathname}`;
  } catch {
    return "PostgreSQL (DATABASE_URL is not a URL)";
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function openError(target: string, error: unknown): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  if (error instanceof NewerSchemaError) {
    return new StoreOpenError(
      `${target} was written by a newer version of the bot (schema ${error.found}, this build knows ${error.known}); ` +
        `run that newer version, or point DATABASE_URL or DATABASE_SCHEMA at an empty database.`,
      { cause: error },
    );
  }
  const code = errorCode(error) ?? "";
  const message = oneLine(error instanceof Error ? error.message : String(error));
  const why = code && !message.includes(code) ? `${message} (${code})` : message;
  if (code === "28P01" || code === "28000") {
    return new StoreOpenError(`${target} refused the login (${why}); check the user and password in DATABASE_URL.`, { cause: error });
  }
  if (code === "3D000") {
    return new StoreOpenError(`${target}: ${why}; create the database or correct DATABASE_URL.`, { cause: error });
  }
  if (code === "42501") {
    return new StoreOpenError(`${target}: ${why}; the user needs the right to create tables (and the schema) there.`, { cause: error });
  }
  if (
    ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"].includes(code) ||
    /timeout|terminated/i.test(message)
  ) {
    return new StoreOpenError(`Cannot reach ${target} (${why}); check DATABASE_URL and that the server is running.`, { cause: error });
  }
  return new StoreOpenError(`Cannot open the store at ${target}: ${why}.`, { cause: error });
}

export function openPostgresStore(options: PostgresStoreOptions): Store {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const updateKeepMs = options.updateKeepMs ?? DEFAULT_UPDATE_KEEP_MS;
  const target = describeDatabase(options.url);
  const clientConfig: ClientConfig = {
    connectionString: options.url,
    types: numberTypes,
    keepAlive: true,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: "brainysoft-lead-bot",
    // Every connection finds the tables in the store's schema (the name is checked by the config).
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  };
  const onError = options.onBackgroundError ?? (() => {});
  const pool = new (loadPg().Pool)({ ...clientConfig, max: poolSize });
  const lockPool = new (loadPg().Pool)({ ...clientConfig, max: poolSize });
  pool.on("error", onError);
  lockPool.on("error", onError);

  let namespace = "";
  let opening: Promise<void> | undefined;
  // At the first call, not at open: nothing connects before the app starts.
  const ready = () =>
    (opening ??= withClient(pool, (client) => migratePostgres(client, options.schema)).then(
      (schema) => {
        namespace = schema;
      },
      (error: unknown) => {
        throw openError(target, error);
      },
    ));

  const db = createPgDb(pool, ready, () => namespace);
  const coordination = postgresCoordination({ db, ready, clientConfig, lockPool });
  let closing: Promise<void> | undefined;

  return {
    leads: postgresLeadStore(db),
    updates: postgresUpdateDeduplicator(db),
    events: postgresEventJournal(db),
    roles: postgresRoleStore(db),
    conversations: postgresKeyValueStore(db),
    counters: postgresWindowCounters(db),
    coordination,
    ready,
    // The heartbeat lives under a key no conversation uses, as on SQLite: no table for one row.
    probeWrite: async () => {
      const at = Date.now();
      await db.run(
        `INSERT INTO conversations (key, value, updated_at) VALUES ('store:heartbeat', $1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [JSON.stringify(at), at],
      );
    },
    purge: (olderThan) =>
      db.transaction(async (tx) => {
        const now = Date.now();
        const events = await tx.run(`DELETE FROM events WHERE at < $1`, [olderThan]);
        // By the de-duplication window, not the retention: ids are no personal data and are needed only that long.
        const updates = await tx.run(`DELETE FROM processed_updates WHERE seen_at < $1`, [now - updateKeepMs]);
        const leads = await tx.run(`DELETE FROM leads WHERE updated_at < $1 AND state = ANY($2::text[])`, [olderThan, FINAL_STATES]);
        // Abandoned conversations can hold a name or a phone number too.
        await tx.run(`DELETE FROM conversations WHERE updated_at < $1`, [olderThan]);
        await tx.run(`DELETE FROM window_counters WHERE expires_at <= $1`, [now]);
        return { events, leads, updates };
      }),
    close: () => {
      closing ??= (async () => {
        await opening?.catch(() => {});
        await coordination.endAll();
        await Promise.all([pool.end(), lockPool.end()]);
      })();
      return closing;
    },
  };
}

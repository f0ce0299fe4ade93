/**
 * Schema of the PostgreSQL store, as an append-only list of migrations (the same tables as the SQLite
 * store, in PostgreSQL's types). `schema_migrations` lists the versions applied. At open the missing
 * ones run, each in its own transaction, under a session advisory lock: replicas starting together
 * migrate once, the others wait and then find nothing to do. Never edit a released step: append one.
 */
import type { PoolClient } from "pg";
import { NewerSchemaError } from "./migrations.js";

const MIGRATIONS: readonly string[] = [
  // 1: everything SQLite reached in its migration 3. Times are Unix ms; ids are never reused after a purge.
  `
  CREATE TABLE leads (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id         BIGINT  NOT NULL,
    user_id         BIGINT  NOT NULL,
    first_name      TEXT    NOT NULL,
    last_name       TEXT,
    phone           TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    actor           TEXT    NOT NULL CHECK (actor IN ('customer', 'agent')),
    agent_id        BIGINT,
    consent_at      BIGINT,
    locale          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'duplicate', 'rejected', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    brainysoft_id   BIGINT,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    requeued_at     BIGINT,
    notified        BOOLEAN NOT NULL DEFAULT false,
    -- A lease covers one delivery attempt: void once attempts has moved past lease_attempt.
    lease_owner     TEXT,
    lease_until     BIGINT,
    lease_attempt   INTEGER
  );
  CREATE INDEX leads_phone_created ON leads (phone, created_at);
  CREATE INDEX leads_state_next_attempt ON leads (state, next_attempt_at);
  CREATE INDEX leads_created ON leads (created_at);
  CREATE INDEX leads_updated ON leads (updated_at);

  -- No foreign key to leads: the journal outlives purged leads and must not block their deletion.
  CREATE TABLE events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    kind          TEXT   NOT NULL,
    actor         TEXT   NOT NULL,
    source        TEXT,
    masked_phone  TEXT,
    lead_id       BIGINT,
    brainysoft_id BIGINT,
    detail        TEXT
  );
  CREATE INDEX events_at ON events (at);

  CREATE TABLE processed_updates (
    update_id BIGINT PRIMARY KEY,
    seen_at   BIGINT NOT NULL
  );
  CREATE INDEX processed_updates_seen ON processed_updates (seen_at);

  CREATE TABLE update_claims (
    update_id     BIGINT PRIMARY KEY,
    claimed_until BIGINT NOT NULL
  );
  CREATE INDEX update_claims_until ON update_claims (claimed_until);

  CREATE TABLE agents (
    user_id  BIGINT PRIMARY KEY,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL
  );

  -- TEXT, not JSONB: the value reads back exactly as written (JSONB would reorder keys).
  CREATE TABLE conversations (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX conversations_updated ON conversations (updated_at);

  CREATE TABLE window_counters (
    key        TEXT    PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at BIGINT  NOT NULL
  );
  CREATE INDEX window_counters_expires ON window_counters (expires_at);
  `,
  // 2: indexes so that no step of an update and nothing at start-up reads the whole history: the daily
  // cap counts one user's leads of the last day; the sweep at start reads only the leads not yet told
  // (partial: pending ones and untold outcomes, a handful).
  `
  CREATE INDEX IF NOT EXISTS leads_user_created ON leads (user_id, created_at);
  CREATE INDEX IF NOT EXISTS leads_unnotified ON leads (id) WHERE NOT notified;
  `,
  // 3: a Brainysoft call's latency and HTTP status as numbers, for /stats (as SQLite's migration 5).
  `
  ALTER TABLE events ADD COLUMN latency_ms INTEGER;
  ALTER TABLE events ADD COLUMN http_status INTEGER;
  `,
  // 4: update claims were never used (as SQLite's migration 6).
  `DROP TABLE IF EXISTS update_claims;`,
];

/** The schema version this build writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** "name" with any double quote doubled: an identifier PostgreSQL takes as it is. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Creates `schema` when given (and makes it the connection's search_path, as the pool's connections
 * have it), then brings it up to POSTGRES_SCHEMA_VERSION. Throws NewerSchemaError for a schema from a
 * newer build. Returns the schema the tables are in.
 */
export async function migratePostgres(client: PoolClient, schema: string | undefined): Promise<string> {
  // Named by the schema: stores in other schemas of the same database migrate side by side.
  const lockKey = `${schema ?? "(default)"}:migrations`;
  await client.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [lockKey]);
  try {
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    const [current] = (await client.query<{ schema: string | null }>(`SELECT current_schema() AS schema`)).rows;
    if (!current?.schema) throw new Error("no schema to create the tables in: the search_path names none that exists");
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
    const [row] = (await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM schema_migrations`)).rows;
    const found = row?.version ?? 0;
    if (found > POSTGRES_SCHEMA_VERSION) throw new NewerSchemaError(found, POSTGRES_SCHEMA_VERSION);
    for (let version = found; version < POSTGRES_SCHEMA_VERSION; version++) {
      await client.query("BEGIN");
      try {
        await client.query(MIGRATIONS[version] ?? "");
        await client.query(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, [version + 1, Date.now()]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      }
    }
    return current.schema;
  } finally {
    await client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [lockKey]).catch(() => {});
  }
}

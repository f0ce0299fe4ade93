/**
 * Schema of the embedded SQLite store, as an append-only list of migrations.
 *
 * `PRAGMA user_version` holds how many migrations a database file has had applied. At open the
 * missing ones run in one IMMEDIATE transaction (so two processes opening the same file at once
 * migrate it once). Never edit a released step: append a new one.
 */
import type Database from "better-sqlite3";

/** SQL to exec, or a function for a step SQL alone cannot express. Runs inside the migration transaction. */
export type Migration = string | ((db: Database.Database) => void);

const MIGRATIONS: readonly Migration[] = [
  // 1: initial schema. STRICT tables so a wrong type is an error rather than a silent conversion.
  `
  CREATE TABLE leads (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after purge: events refer to ids
    chat_id         INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    first_name      TEXT    NOT NULL,
    last_name       TEXT,
    phone           TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    actor           TEXT    NOT NULL CHECK (actor IN ('customer', 'agent')),
    agent_id        INTEGER,
    consent_at      INTEGER,
    locale          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'duplicate', 'rejected', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    brainysoft_id   INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    requeued_at     INTEGER, -- last admin retry; the worker's give-up age counts from here
    notified        INTEGER NOT NULL DEFAULT 0 CHECK (notified IN (0, 1))
  ) STRICT;
  CREATE INDEX leads_phone_created ON leads (phone, created_at);
  CREATE INDEX leads_state_next_attempt ON leads (state, next_attempt_at);
  CREATE INDEX leads_created ON leads (created_at);
  CREATE INDEX leads_updated ON leads (updated_at);

  -- No foreign key to leads: the journal outlives purged leads and must not block their deletion.
  CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    actor         TEXT    NOT NULL,
    source        TEXT,
    masked_phone  TEXT,
    lead_id       INTEGER,
    brainysoft_id INTEGER,
    detail        TEXT
  ) STRICT;
  CREATE INDEX events_at ON events (at);

  CREATE TABLE processed_updates (
    update_id INTEGER PRIMARY KEY,
    seen_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX processed_updates_seen ON processed_updates (seen_at);

  CREATE TABLE agents (
    user_id  INTEGER PRIMARY KEY,
    added_by INTEGER NOT NULL,
    added_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE conversations (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL, -- JSON
    updated_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX conversations_updated ON conversations (updated_at);
  `,
  // 2: `notified` now also covers outcomes told directly, and the outbox tells at start every final
  // outcome not marked told. Builds before this one never marked those, so they count as told.
  `UPDATE leads SET notified = 1 WHERE state <> 'pending';`,
  // 3: what several replicas (on PostgreSQL; here for the same Store interface) share: a lease per
  // delivery attempt (void once `attempts` moves past lease_attempt), update claims, rate-limit counters.
  `
  ALTER TABLE leads ADD COLUMN lease_owner TEXT;
  ALTER TABLE leads ADD COLUMN lease_until INTEGER;
  ALTER TABLE leads ADD COLUMN lease_attempt INTEGER;

  CREATE TABLE update_claims (
    update_id     INTEGER PRIMARY KEY,
    claimed_until INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX update_claims_until ON update_claims (claimed_until);

  CREATE TABLE window_counters (
    key        TEXT    PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX window_counters_expires ON window_counters (expires_at);
  `,
  // 4: indexes so that no step of an update and nothing at start-up reads the whole history: the daily
  // cap counts one user's leads of the last day; the sweep at start reads only the leads not yet told
  // (partial: pending ones and untold outcomes, a handful). The queries write `+state` so that the
  // planner, which has no statistics, does not pick leads_state_next_attempt (a state holds most rows).
  `
  CREATE INDEX IF NOT EXISTS leads_user_created ON leads (user_id, created_at);
  CREATE INDEX IF NOT EXISTS leads_unnotified ON leads (id) WHERE notified = 0;
  `,
  // 5: a Brainysoft call's latency and HTTP status as numbers, for /stats (they were only in the detail
  // text). Calls recorded before stay without them: /stats' latency then counts the newer calls.
  `
  ALTER TABLE events ADD COLUMN latency_ms INTEGER;
  ALTER TABLE events ADD COLUMN http_status INTEGER;
  `,
  // 6: update claims (migration 3) were never used: the per-chat lock keeps a re-sent update behind its
  // first handling, which the handled mark then stops.
  `DROP TABLE IF EXISTS update_claims;`,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export class NewerSchemaError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`schema ${found} is newer than ${known}`);
  }
}

function userVersion(db: Database.Database): number {
  return db.prepare<[], number>("PRAGMA user_version").pluck().get() ?? 0;
}

/**
 * Brings the file up to SCHEMA_VERSION. Throws NewerSchemaError for a file from a newer build
 * (checked again inside the write transaction, in case another process migrated meanwhile).
 *
 * The transaction always writes user_version, even when nothing is missing: that doubles as a
 * write probe, so a file SQLite could only open read-only fails here (SQLITE_READONLY) rather
 * than at the first lead.
 */
export function migrate(db: Database.Database): void {
  const check = (): number => {
    const found = userVersion(db);
    if (found > SCHEMA_VERSION) throw new NewerSchemaError(found, SCHEMA_VERSION);
    return found;
  };
  check();
  db.transaction(() => {
    for (let version = check(); version < SCHEMA_VERSION; version++) {
      // biome-ignore lint/style/noNonNullAssertion: version < SCHEMA_VERSION, the length of MIGRATIONS
      const step = MIGRATIONS[version]!;
      if (typeof step === "string") db.exec(step);
      else step(db);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

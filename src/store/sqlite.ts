/**
 * The embedded store: one SQLite file in the data directory, opened with better-sqlite3.
 *
 * Durability: the file runs in WAL mode with synchronous=NORMAL. A write's promise resolves after its
 * commit (sqlite-group-commit.ts: the writes of one event-loop turn share one), and a commit is written
 * to the WAL with write(2) before better-sqlite3 returns, so it is in the OS page cache and survives the bot
 * process dying at any moment (crash, OOM kill, SIGKILL, container restart) - which is what a lead
 * must survive once the person has been told it was received. What NORMAL gives up against FULL is
 * an fsync per commit, i.e. only the last few commits before an OS crash or power loss; the
 * database itself stays consistent either way.
 *
 * Several processes may open the same file (a deploy overlapping the old instance): writes are
 * serialised by SQLite's lock, and every write (lead de-duplication among them) runs in an IMMEDIATE
 * transaction; writes wait for the other process's lock on a timer (sqlite-group-commit.ts), reads and
 * opening with busy_timeout.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { StoreOpenError } from "./errors.js";
import { migrate, NewerSchemaError } from "./migrations.js";
import { FINAL_STATES } from "./lead-row.js";
import { sqliteLeadStore } from "./sqlite-leads.js";
import { sqliteEventJournal } from "./sqlite-events.js";
import { sqliteGroupCommit } from "./sqlite-group-commit.js";
import { sqliteKeyValueStore, sqliteRoleStore, sqliteUpdateDeduplicator } from "./sqlite-misc.js";
import { localCoordination, sqliteLeadLeases, sqliteWindowCounters } from "./sqlite-replicas.js";
import type { Store } from "./types.js";
import { errorCode } from "../guards.js";

export { StoreOpenError };

export interface SqliteStoreOptions {
  dataDir: string;
  /** Default "bot.sqlite". */
  fileName?: string;
  /** How long processed update ids are kept for de-duplication (purge deletes older ones). Default 48 h. */
  updateKeepMs?: number;
}

const DEFAULT_FILE_NAME = "bot.sqlite";
const DEFAULT_UPDATE_KEEP_MS = 48 * 60 * 60 * 1000;
/** How long a statement waits for another connection's write lock. */
const BUSY_TIMEOUT_MS = 5_000;
/** Files up to this size get PRAGMA quick_check at open (milliseconds per MiB); larger ones only a schema read. */
const QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;

const WRITE_ACCESS = "the bot needs write access to the data directory and the database file in it";

/** One line: SQLite and quick_check messages can span several. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = errorCode(error);
    const text = code !== undefined && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
    return oneLine(text);
  }
  return oneLine(String(error));
}

function openError(file: string, error: unknown): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  if (error instanceof NewerSchemaError) {
    return new StoreOpenError(
      `${file} was written by a newer version of the bot (schema ${error.found}, this build knows ${error.known}); ` +
        `run that newer version, or move the file aside to start with an empty store.`,
      { cause: error },
    );
  }
  const code = errorCode(error) ?? "";
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) {
    return new StoreOpenError(
      `${file} is not a usable SQLite database (${describe(error)}); ` +
        `restore it from a backup, or move it aside to start with an empty store.`,
      { cause: error },
    );
  }
  if (
    code.startsWith("SQLITE_READONLY") ||
    code.startsWith("SQLITE_CANTOPEN") ||
    code.startsWith("SQLITE_PERM") ||
    code.startsWith("SQLITE_AUTH") ||
    code === "EACCES" ||
    code === "EPERM" ||
    code === "EROFS"
  ) {
    return new StoreOpenError(`Cannot open ${file} for writing (${describe(error)}); ${WRITE_ACCESS}.`, {
      cause: error,
    });
  }
  return new StoreOpenError(`Cannot open the store at ${file}: ${describe(error)}.`, { cause: error });
}

/** Fails early, with a clear message, when the directory or an existing file is read-only. */
function checkWritable(dataDir: string, file: string): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const what =
      errorCode(error) === "EEXIST"
        ? `The data directory ${dataDir} exists but is not a directory`
        : `Cannot create the data directory ${dataDir} (${describe(error)})`;
    throw new StoreOpenError(`${what}; ${WRITE_ACCESS}.`, { cause: error });
  }
  // SQLite creates <file>-wal and <file>-shm next to the file, so the directory must be writable too.
  for (const target of [dataDir, file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch (error) {
      if (errorCode(error) === "ENOENT" && target !== dataDir) continue;
      throw new StoreOpenError(`Cannot write to ${target} (${describe(error)}); ${WRITE_ACCESS}.`, { cause: error });
    }
  }
}

function configure(db: Database.Database, file: string): void {
  // busy_timeout first, so that switching to WAL waits for another process instead of failing.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // The first statement that reads the file: a non-database fails here with SQLITE_NOTADB.
  const mode = db.pragma("journal_mode = WAL", { simple: true });
  if (mode !== "wal") {
    throw new StoreOpenError(
      `Cannot switch ${file} to WAL mode (got "${String(mode)}"); keep the data directory on a local, writable file system.`,
    );
  }
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");

  // Reading the schema catches a damaged header or schema page; quick_check (no index
  // cross-checks, so cheap) also catches damaged table pages while the file is small enough.
  db.prepare("SELECT count(*) FROM sqlite_schema").get();
  if (fs.statSync(file).size <= QUICK_CHECK_MAX_BYTES) {
    const report = db
      .prepare<[], string>("PRAGMA quick_check(5)")
      .pluck()
      .all()
      .filter((line) => line !== "ok");
    if (report.length > 0) {
      throw new StoreOpenError(
        `${file} is damaged (${oneLine(report.join("; "))}); restore it from a backup, or move it aside to start with an empty store.`,
      );
    }
  }
}

/**
 * A SQLite file serves one process, so a delivery lease found at open was taken by a process that is
 * gone: its lead is due again now rather than when the lease would end. By the partial index of leads
 * not told (every pending lead is). A disk that takes no write leaves them to expire.
 */
function freeLeases(db: Database.Database): void {
  try {
    db.prepare(
      `UPDATE leads SET lease_owner = NULL, lease_until = NULL, lease_attempt = NULL WHERE notified = 0 AND lease_owner IS NOT NULL`,
    ).run();
  } catch {
    // Readable but not writable: the open goes on, and writes report their own failures.
  }
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const dataDir = path.resolve(options.dataDir);
  const file = path.join(dataDir, options.fileName ?? DEFAULT_FILE_NAME);
  const updateKeepMs = options.updateKeepMs ?? DEFAULT_UPDATE_KEEP_MS;
  checkWritable(dataDir, file);

  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    configure(db, file);
    migrate(db);
    freeLeases(db);
  } catch (error) {
    try {
      db?.close();
    } catch {
      // Already failing; the open error is the one worth reporting.
    }
    throw openError(file, error);
  }
  const conn = db;

  const purgeEvents = conn.prepare<[number]>(`DELETE FROM events WHERE at < ?`);
  const purgeUpdates = conn.prepare<[number]>(`DELETE FROM processed_updates WHERE seen_at < ?`);
  const purgeLeads = conn.prepare<[number, string]>(
    // `+state`: by leads_updated (the old rows only), not by state (nearly every row is in a final state).
    `DELETE FROM leads WHERE updated_at < ? AND +state IN (SELECT value FROM json_each(?))`,
  );
  const purgeConversations = conn.prepare<[number]>(`DELETE FROM conversations WHERE updated_at < ?`);
  const purgeCounters = conn.prepare<[number]>(`DELETE FROM window_counters WHERE expires_at <= ?`);
  // The heartbeat lives in the conversations table (a key no conversation uses) rather than a table of
  // its own: no migration for one row. Purge may delete it; the next probe writes it again.
  const heartbeat = conn.prepare<[string, number]>(
    `INSERT INTO conversations (key, value, updated_at) VALUES ('store:heartbeat', ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );
  // All or nothing: a group commit write is atomic (a savepoint of its own).
  const purge = (olderThan: number) => {
    const events = purgeEvents.run(olderThan).changes;
    // By the de-duplication window, not the retention: ids are no personal data and are needed only that long.
    const updates = purgeUpdates.run(Date.now() - updateKeepMs).changes;
    const leads = purgeLeads.run(olderThan, JSON.stringify(FINAL_STATES)).changes;
    // Abandoned conversations can hold a name or a phone number too.
    purgeConversations.run(olderThan);
    purgeCounters.run(Date.now());
    return { events, leads, updates };
  };

  let closed = false;
  const coordination = localCoordination();
  const group = sqliteGroupCommit(conn, { busyTimeoutMs: BUSY_TIMEOUT_MS });
  return {
    leads: { ...sqliteLeadStore(conn, group), ...sqliteLeadLeases(conn, group) },
    updates: sqliteUpdateDeduplicator(conn, group),
    events: sqliteEventJournal(conn, group),
    roles: sqliteRoleStore(conn, group),
    conversations: sqliteKeyValueStore(conn, group),
    counters: sqliteWindowCounters(conn, group),
    coordination,
    ready: async () => {},
    purge: (olderThan) => group.write(() => purge(olderThan)),
    probeWrite: () => {
      const at = Date.now();
      return group.write(() => void heartbeat.run(JSON.stringify(at), at));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      coordination.endAll();
      group.flush();
      try {
        // Fold what it can of the WAL back into the main file without waiting for other readers
        // (the last connection to close checkpoints and removes the WAL anyway).
        conn.pragma("wal_checkpoint(PASSIVE)");
      } catch {
        // Nothing lost: the WAL stays valid and is replayed on the next open.
      }
      conn.close();
    },
  };
}

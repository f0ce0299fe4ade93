/**
 * Group commit for the SQLite store: every write made in one turn of the event loop runs inside one
 * transaction, which commits when the turn ends (setImmediate). Each write's promise resolves only
 * after that commit, so whoever waits for a write still knows it is on disk before acting on it.
 *
 * Why: under load a commit is the store's largest cost (a WAL append, its locks, now and then a
 * checkpoint), and a lead took about ten of them; customers' writes in one turn now share one.
 * Reads are not held: on this one connection they see every write made before them, committed or not.
 *
 * While another connection (an overlapping deploy, a test's second store) holds the write lock, writes
 * wait in order and the lock is tried again on a timer: SQLite's busy_timeout would block the event
 * loop, and with it this connection's own commit.
 */
import type Database from "better-sqlite3";
// Not the global timers: a test's fake timers must not hold back a commit (this is I/O, not a wait).
import { setImmediate, setTimeout } from "node:timers";

export interface GroupCommit {
  /**
   * Runs `write` at once and atomically (a savepoint of its own) in this turn's transaction, and resolves
   * with its result once that transaction commits.
   */
  write<T>(write: () => T): Promise<T>;
  /** Commits this turn's transaction now (before the connection closes). */
  flush(): void;
}

export interface GroupCommitOptions {
  /** How long writes wait for another connection's write lock before they fail with SQLITE_BUSY. */
  busyTimeoutMs: number;
  /** How often the lock is tried again meanwhile. */
  busyRetryMs?: number;
}

interface Write {
  run: () => unknown;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

export function sqliteGroupCommit(db: Database.Database, options: GroupCommitOptions): GroupCommit {
  const retryMs = options.busyRetryMs ?? 5;
  let open = false;
  /** Writes run in the open transaction, waiting for its commit: each with its result. */
  let ran: { write: Write; result: unknown }[] = [];
  /** Writes waiting for the write lock, in order. */
  let queued: Write[] = [];
  let busySince: number | undefined;
  // Prepared once: db.exec parses its SQL again on every call, and these run every turn. (Not the pragmas
  // below: SQLite sets busy_timeout while it prepares the statement, so running one again sets nothing.)
  const beginImmediate = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");

  /** Commits the open transaction (or, given an error, rolls it back) and settles every write in it. */
  const end = (failure?: unknown): void => {
    const group = ran;
    ran = [];
    open = false;
    let error = failure;
    if (error === undefined) {
      try {
        if (db.inTransaction) commit.run();
      } catch (commitError) {
        error = commitError;
      }
    }
    if (error === undefined) {
      for (const { write, result } of group) write.resolve(result);
      return;
    }
    try {
      if (db.inTransaction) rollback.run();
    } catch {
      // The transaction is gone either way (SQLite rolls back by itself on some I/O errors).
    }
    for (const { write } of group) write.reject(error);
  };

  /** Takes the write lock and opens the turn's transaction: undefined when done, else why not. */
  const begin = (): { busy: true } | { busy: false; error: unknown } | undefined => {
    try {
      // Without waiting: another connection's lock is waited for on a timer (drain), not by SQLite.
      db.pragma("busy_timeout = 0");
      try {
        beginImmediate.run();
      } finally {
        db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
      }
    } catch (error) {
      busySince ??= Date.now();
      const busy = error instanceof Error && "code" in error && error.code === "SQLITE_BUSY";
      if (busy && Date.now() - busySince < options.busyTimeoutMs) return { busy: true };
      busySince = undefined;
      return { busy: false, error };
    }
    busySince = undefined;
    open = true;
    setImmediate(() => open && end());
    return undefined;
  };

  // Each write in a savepoint of its own: a write that fails undoes itself and nothing else.
  const inSavepoint = db.transaction((write: () => unknown) => write());
  const run = (write: Write): void => {
    let result: unknown;
    try {
      result = inSavepoint(write.run);
    } catch (error) {
      write.reject(error);
      // A full disk or an I/O error can make SQLite undo the whole transaction: every write in it is lost.
      if (!db.inTransaction) end(error);
      return;
    }
    ran.push({ write, result });
  };

  /** Runs the queued writes, in order, in a transaction of this connection's. */
  const drain = (): void => {
    while (queued.length > 0) {
      const failure = open ? undefined : begin();
      if (failure?.busy) {
        setTimeout(drain, retryMs);
        return;
      }
      if (failure) {
        const failed = queued;
        queued = [];
        for (const w of failed) w.reject(failure.error);
        return;
      }
      const next = queued.shift();
      if (next) run(next);
    }
  };

  return {
    write<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        // The result comes back from the same write function, so it has the function's type.
        queued.push({ run: write, resolve: (result) => resolve(result as T), reject });
        // Behind others waiting for the lock, this one waits too: writes commit in the order made.
        if (queued.length === 1) drain();
      });
    },
    flush: () => {
      if (open) end();
    },
  };
}

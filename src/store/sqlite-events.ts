/** EventJournal on better-sqlite3. */
import type Database from "better-sqlite3";
// Not the global setImmediate: a test's fake timers must not hold back a write (this is I/O, not a wait).
import { setImmediate } from "node:timers";
import type { EventJournal, LeadEvent, NewLeadEvent } from "./types.js";

interface EventRow {
  id: number;
  at: number;
  kind: string;
  actor: string;
  source: string | null;
  masked_phone: string | null;
  lead_id: number | null;
  brainysoft_id: number | null;
  detail: string | null;
  latency_ms: number | null;
  http_status: number | null;
}

function toEvent(row: EventRow): LeadEvent {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    source: row.source ?? undefined,
    maskedPhone: row.masked_phone ?? undefined,
    leadId: row.lead_id ?? undefined,
    brainysoftId: row.brainysoft_id ?? undefined,
    detail: row.detail ?? undefined,
    latencyMs: row.latency_ms ?? undefined,
    httpStatus: row.http_status ?? undefined,
  };
}

/** The journal, and `flush` to commit what it holds before the connection closes. */
export type SqliteEventJournal = EventJournal & { flush(): void };

interface Pending {
  row: Record<string, string | number | null>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Events are committed together, once per turn of the event loop: a lead's events come from many
 * customers at once, and one commit each was the store's largest cost under load (a WAL write and
 * its locks per event). record() resolves only after its event's commit, so whoever waits for it
 * still knows it is on disk; reads commit what is pending first, so they see every recorded event.
 */
export function sqliteEventJournal(db: Database.Database): SqliteEventJournal {
  const insert = db.prepare<Record<string, string | number | null>>(
    `INSERT INTO events (at, kind, actor, source, masked_phone, lead_id, brainysoft_id, detail, latency_ms, http_status)
     VALUES (@at, @kind, @actor, @source, @maskedPhone, @leadId, @brainysoftId, @detail, @latencyMs, @httpStatus)`,
  );
  // One statement for every filter combination: a NULL parameter switches its condition off.
  // Kinds travel as a JSON array so the list can have any length.
  const recent = db.prepare<{ kinds: string | null; actor: string | null; limit: number; offset: number }, EventRow>(
    `SELECT * FROM events
      WHERE (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
        AND (@actor IS NULL OR actor = @actor)
      ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`,
  );
  const between = db.prepare<[number, number], EventRow>(`SELECT * FROM events WHERE at >= ? AND at < ? ORDER BY at, id`);
  // Both by the `at` index: only the period's rows are read, however long the journal.
  const countByKind = db.prepare<{ kinds: string; from: number; to: number }, { kind: string; count: number }>(
    `SELECT kind, COUNT(*) AS count FROM events
      WHERE at >= @from AND at < @to AND kind IN (SELECT value FROM json_each(@kinds))
      GROUP BY kind`,
  );
  const newestBetween = db.prepare<{ kinds: string; from: number; to: number; limit: number }, EventRow>(
    `SELECT * FROM events
      WHERE at >= @from AND at < @to AND kind IN (SELECT value FROM json_each(@kinds))
      ORDER BY at DESC, id DESC LIMIT @limit`,
  );

  let pending: Pending[] = [];
  const insertAll = db.transaction((batch: readonly Pending[]) => {
    for (const p of batch) insert.run(p.row);
  });
  const flush = (): void => {
    const batch = pending;
    if (batch.length === 0) return;
    pending = [];
    try {
      insertAll(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) p.resolve();
  };
  const row = (event: NewLeadEvent): Pending["row"] => ({
    at: event.at ?? Date.now(),
    kind: event.kind,
    actor: event.actor,
    source: event.source ?? null,
    maskedPhone: event.maskedPhone ?? null,
    leadId: event.leadId ?? null,
    brainysoftId: event.brainysoftId ?? null,
    detail: event.detail ?? null,
    latencyMs: event.latencyMs ?? null,
    httpStatus: event.httpStatus ?? null,
  });
  /** Runs a read after committing what is pending, so it sees every event recorded before it. */
  const fresh =
    <A extends unknown[], R>(read: (...args: A) => R) =>
    async (...args: A): Promise<R> => {
      flush();
      return read(...args);
    };

  return {
    flush,
    record: (event) =>
      new Promise<void>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ row: row(event), resolve, reject });
      }),
    recent: fresh((limit: number, offset: number, filter?: { kinds?: readonly string[]; actor?: string }) =>
      recent
        .all({
          kinds: filter?.kinds ? JSON.stringify(filter.kinds) : null,
          actor: filter?.actor ?? null,
          limit,
          offset,
        })
        .map(toEvent),
    ),
    between: fresh((from: number, to: number) => between.all(from, to).map(toEvent)),
    countByKind: fresh((kinds: readonly string[], from: number, to: number) =>
      Object.fromEntries(countByKind.all({ kinds: JSON.stringify(kinds), from, to }).map((r) => [r.kind, r.count])),
    ),
    newestBetween: fresh((kinds: readonly string[], from: number, to: number, limit: number) =>
      newestBetween.all({ kinds: JSON.stringify(kinds), from, to, limit }).map(toEvent),
    ),
  };
}

/** EventJournal on better-sqlite3. */
import type Database from "better-sqlite3";
import type { GroupCommit } from "./sqlite-group-commit.js";
import { EVENT_COLUMNS, type EventRow, eventValues, toEvent } from "./event-row.js";
import type { EventJournal } from "./types.js";

export function sqliteEventJournal(db: Database.Database, group: GroupCommit): EventJournal {
  const insert = db.prepare<(string | number | null)[]>(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
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

  return {
    record: (event) =>
      group.write(() => {
        insert.run(...eventValues(event));
      }),
    recent: async (limit, offset, filter) =>
      recent
        .all({
          kinds: filter?.kinds ? JSON.stringify(filter.kinds) : null,
          actor: filter?.actor ?? null,
          limit,
          offset,
        })
        .map(toEvent),
    between: async (from, to) => between.all(from, to).map(toEvent),
    countByKind: async (kinds, from, to) =>
      Object.fromEntries(countByKind.all({ kinds: JSON.stringify(kinds), from, to }).map((row) => [row.kind, row.count])),
    newestBetween: async (kinds, from, to, limit) => newestBetween.all({ kinds: JSON.stringify(kinds), from, to, limit }).map(toEvent),
  };
}

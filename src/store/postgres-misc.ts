/** The event journal and the small stores on PostgreSQL, the same statements as sqlite-events.ts and sqlite-misc.ts. */
import type { PgDb, Queryable } from "./postgres-db.js";
import { EVENT_COLUMNS, type EventRow, eventValues, toEvent } from "./event-row.js";
import { storedJson } from "./json-text.js";
import type { EventJournal, KeyValueStore, RoleStore, UpdateDeduplicator, WindowCounters } from "./types.js";
import { parseJson } from "../guards.js";

export function postgresEventJournal(db: PgDb): EventJournal {
  const events = async (text: string, values: unknown[]) => (await db.rows<EventRow>(text, values)).map(toEvent);
  return {
    record: async (event) => {
      await db.run(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, eventValues(event));
    },
    // A NULL parameter switches its condition off, as in the SQLite statement.
    recent: (limit, offset, filter) =>
      events(
        `SELECT * FROM events
          WHERE ($1::text[] IS NULL OR kind = ANY($1::text[])) AND ($2::text IS NULL OR actor = $2::text)
          ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4`,
        [filter?.kinds ?? null, filter?.actor ?? null, limit, offset],
      ),
    between: (from, to) => events(`SELECT * FROM events WHERE at >= $1 AND at < $2 ORDER BY at, id`, [from, to]),
    countByKind: async (kinds, from, to) =>
      Object.fromEntries(
        (
          await db.rows<{ kind: string; count: number }>(
            `SELECT kind, count(*) AS count FROM events WHERE at >= $1 AND at < $2 AND kind = ANY($3::text[]) GROUP BY kind`,
            [from, to, kinds],
          )
        ).map((row) => [row.kind, row.count]),
      ),
    newestBetween: (kinds, from, to, limit) =>
      events(`SELECT * FROM events WHERE at >= $1 AND at < $2 AND kind = ANY($3::text[]) ORDER BY at DESC, id DESC LIMIT $4`, [
        from,
        to,
        kinds,
        limit,
      ]),
  };
}

/** Remembers an update as handled: by the de-duplication, and with a conversation's change. */
const MARK_HANDLED = `INSERT INTO processed_updates (update_id, seen_at) VALUES ($1, $2) ON CONFLICT (update_id) DO NOTHING`;

export function postgresUpdateDeduplicator(db: PgDb): UpdateDeduplicator {
  return {
    wasHandled: async (updateId) => (await db.rows(`SELECT 1 FROM processed_updates WHERE update_id = $1`, [updateId])).length > 0,
    markHandled: async (updateId, now) => (await db.run(MARK_HANDLED, [updateId, now])) === 1,
  };
}

export function postgresRoleStore(db: PgDb): RoleStore {
  return {
    listAgents: async () =>
      (await db.rows<{ user_id: number }>(`SELECT user_id FROM agents ORDER BY added_at, user_id`)).map((row) => row.user_id),
    addAgent: async (userId, addedBy, now) =>
      (await db.run(`INSERT INTO agents (user_id, added_by, added_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING`, [
        userId,
        addedBy,
        now,
      ])) === 1,
    removeAgent: async (userId) => (await db.run(`DELETE FROM agents WHERE user_id = $1`, [userId])) === 1,
  };
}

/** JSON values by key, stored as JSON text exactly as the SQLite one (see sqliteKeyValueStore). */
export function postgresKeyValueStore(db: PgDb): KeyValueStore<unknown> {
  const change = async (on: Queryable, key: string, json: string | undefined, now: number) => {
    if (json === undefined) await on.run(`DELETE FROM conversations WHERE key = $1`, [key]);
    else
      await on.run(
        `INSERT INTO conversations (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [key, json, now],
      );
  };
  const changeAndMark = async (key: string, json: string | undefined, handledUpdate: number | undefined) => {
    const now = Date.now();
    if (handledUpdate === undefined) return change(db, key, json, now);
    await db.transaction(async (tx) => {
      await change(tx, key, json, now);
      await tx.run(MARK_HANDLED, [handledUpdate, now]);
    });
  };
  return {
    read: async (key) => {
      const [row] = await db.rows<{ value: string }>(`SELECT value FROM conversations WHERE key = $1`, [key]);
      return row === undefined ? undefined : parseJson(row.value);
    },
    write: (key, value, handledUpdate) => changeAndMark(key, storedJson(value), handledUpdate),
    delete: (key, handledUpdate) => changeAndMark(key, undefined, handledUpdate),
  };
}

export function postgresWindowCounters(db: PgDb): WindowCounters {
  return {
    hit: async (key, windowMs, now) => {
      // SET sees the old row in every expression, so both CASEs test the same window.
      const [row] = await db.rows<{ count: number }>(
        `INSERT INTO window_counters (key, count, expires_at) VALUES ($1, 1, $3)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN window_counters.expires_at <= $2 THEN 1 ELSE window_counters.count + 1 END,
           expires_at = CASE WHEN window_counters.expires_at <= $2 THEN excluded.expires_at ELSE window_counters.expires_at END
         RETURNING count`,
        [key, now, now + windowMs],
      );
      if (!row) throw new Error("window counter upsert returned no row");
      return row.count;
    },
  };
}

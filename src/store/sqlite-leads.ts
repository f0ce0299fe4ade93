/** LeadStore on better-sqlite3. Every statement is prepared once, when the store opens. */
import type Database from "better-sqlite3";
import type { GroupCommit } from "./sqlite-group-commit.js";
import { type LeadRow, NEW_LEAD_COLUMNS, newLeadPlaceholders, newLeadValues, toRecord, zeroByState } from "./lead-row.js";
import type { FirstLease, LeadRecord, LeadState, LeadStore, NewLead } from "./types.js";

export function sqliteLeadStore(db: Database.Database, group: GroupCommit): Omit<LeadStore, "leaseDue" | "leaseNamed" | "releaseLease"> {
  // A lead held as "unconfirmed" (Brainysoft may have created it) counts too: a second copy could be a duplicate in the CRM.
  // A lead created after `now` still counts: another process may have read its clock later but
  // committed first while this caller waited for the write lock.
  const findRecent = db.prepare<{ phone: string; since: number }, LeadRow>(
    `SELECT * FROM leads
      WHERE phone = @phone AND created_at >= @since AND (state NOT IN ('rejected', 'failed') OR last_error = 'unconfirmed')
      ORDER BY created_at DESC, id DESC LIMIT 1`,
  );
  const insert = db.prepare<(string | number | null)[], LeadRow>(
    `INSERT INTO leads (${NEW_LEAD_COLUMNS}, state, attempts, notified)
     VALUES (${newLeadPlaceholders(() => "?")}, 'pending', 0, 0)
     RETURNING *`,
  );
  const byId = db.prepare<[number], LeadRow>(`SELECT * FROM leads WHERE id = ?`);
  const due = db.prepare<{ now: number; far: number; limit: number }, LeadRow>(
    `SELECT * FROM leads WHERE state = 'pending' AND (next_attempt_at <= @now OR next_attempt_at > @far)
      ORDER BY created_at, id LIMIT @limit`,
  );
  const inStates = db.prepare<[string, number], LeadRow>(
    `SELECT * FROM leads WHERE state IN (SELECT value FROM json_each(?))
      ORDER BY created_at, id LIMIT ?`,
  );
  const delivered = db.prepare<[number, number, number]>(
    `UPDATE leads SET state = 'delivered', brainysoft_id = ?, attempts = attempts + 1, last_error = NULL,
                      updated_at = ?
      WHERE id = ?`,
  );
  const retry = db.prepare<[string, number, number, number]>(
    `UPDATE leads SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ?
      WHERE id = ? AND state = 'pending'`,
  );
  const final = db.prepare<[string, string, number, number]>(
    `UPDATE leads SET state = ?, attempts = attempts + 1, last_error = ?, updated_at = ?
      WHERE id = ? AND state = 'pending'`,
  );
  // attempts is kept (a true count of calls to Brainysoft); notified is reset because the outcome
  // is open again and the person should hear the new one.
  const requeue = db.prepare<{ id: number; now: number }>(
    `UPDATE leads SET state = 'pending', next_attempt_at = @now, requeued_at = @now, updated_at = @now, notified = 0
      WHERE id = @id AND state IN ('failed', 'rejected')`,
  );
  const notified = db.prepare<[number]>(`UPDATE leads SET notified = 1 WHERE id = ?`);
  const unnotified = db.prepare<{ from: number; to: number; afterId: number; limit: number }, LeadRow>(
    // By the partial index leads_unnotified (`notified = 0`: pending leads and untold outcomes), not by state or time.
    `SELECT * FROM leads
      WHERE +state IN ('delivered', 'rejected', 'failed') AND notified = 0
        AND +updated_at >= @from AND +updated_at < @to AND id > @afterId
      ORDER BY id LIMIT @limit`,
  );
  const createdBetween = db.prepare<[number, number], LeadRow>(
    `SELECT * FROM leads WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`,
  );
  const createdPage = db.prepare<{ from: number; to: number; afterAt: number; afterId: number; limit: number }, LeadRow>(
    `SELECT * FROM leads
      WHERE created_at >= @from AND created_at < @to
        AND (created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))
      ORDER BY created_at, id LIMIT @limit`,
  );
  const byUserSince = db
    .prepare<[number, number], number>(
      `SELECT count(*) FROM leads
        WHERE user_id = ? AND created_at >= ? AND actor = 'customer'
          AND NOT (state = 'rejected' AND last_error IN ('field-firstName', 'field-mobilePhone'))`,
    )
    .pluck();
  const counts = db.prepare<[], { state: LeadState; n: number }>(`SELECT state, count(*) AS n FROM leads GROUP BY state`);

  // Atomic as a group commit write (a savepoint of its own), like every write below.
  const insertUnlessDuplicate = (
    lead: NewLead,
    windowMs: number,
    now: number,
    lease?: FirstLease,
  ): { lead: LeadRecord; duplicate: boolean } => {
    const existing = findRecent.get({ phone: lead.phone, since: now - windowMs });
    if (existing) return { lead: toRecord(existing), duplicate: true };
    const row = insert.get(...newLeadValues(lead, now, lease));
    // biome-ignore lint/style/noNonNullAssertion: INSERT ... RETURNING gives the row it inserted
    return { lead: toRecord(row!), duplicate: false };
  };

  return {
    insertUnlessDuplicate: (lead, windowMs, now, lease) => group.write(() => insertUnlessDuplicate(lead, windowMs, now, lease)),
    findRecent: async (phone, since) => {
      const row = findRecent.get({ phone, since });
      return row && toRecord(row);
    },
    get: async (id) => {
      const row = byId.get(id);
      return row ? toRecord(row) : undefined;
    },
    duePending: async (now, limit, horizonMs) =>
      due.all({ now, far: horizonMs === undefined ? Number.MAX_SAFE_INTEGER : now + horizonMs, limit }).map(toRecord),
    listByState: async (states, limit) => (states.length === 0 ? [] : inStates.all(JSON.stringify(states), limit).map(toRecord)),
    markDelivered: (id, brainysoftId, now) => group.write(() => void delivered.run(brainysoftId, now, id)),
    markRetry: (id, error, nextAttemptAt, now) => group.write(() => void retry.run(error, nextAttemptAt, now, id)),
    markFinal: (id, state, error, now) => group.write(() => void final.run(state, error, now, id)),
    requeue: (id, now) => group.write(() => requeue.run({ id, now }).changes === 1),
    markNotified: (id) => group.write(() => void notified.run(id)),
    unnotified: async (query) => unnotified.all(query).map(toRecord),
    listCreatedBetween: async (from, to, page) =>
      (page
        ? createdPage.all({ from, to, afterAt: page.after?.createdAt ?? from - 1, afterId: page.after?.id ?? 0, limit: page.limit })
        : createdBetween.all(from, to)
      ).map(toRecord),
    countByUserSince: async (userId, since) => byUserSince.get(userId, since) ?? 0,
    countByState: async () => {
      const result = zeroByState();
      for (const { state, n } of counts.all()) result[state] = n;
      return result;
    },
  };
}

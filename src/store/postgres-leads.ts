/** LeadStore on PostgreSQL, the same statements as sqlite-leads.ts in PostgreSQL's dialect. */
import { ADVISORY_XACT_LOCK, type PgDb } from "./postgres-db.js";
import { type LeadRow, NEW_LEAD_COLUMNS, newLeadPlaceholders, newLeadValues, orphanedUntil, toRecord, zeroByState } from "./lead-row.js";
import type { LeadState, LeadStore } from "./types.js";

// A lead held as "unconfirmed" (Brainysoft may have created it) counts too: a second copy could be a duplicate in the CRM.
// A lead created after `now` still counts: another replica may have read its clock later but committed first.
const FIND_RECENT = `SELECT * FROM leads
  WHERE phone = $1 AND created_at >= $2 AND (state NOT IN ('rejected', 'failed') OR last_error = 'unconfirmed')
  ORDER BY created_at DESC, id DESC LIMIT 1`;

export function postgresLeadStore(db: PgDb): LeadStore {
  const insertLead = `INSERT INTO leads (${NEW_LEAD_COLUMNS}, state, attempts, notified)
    VALUES (${newLeadPlaceholders((i) => `$${i + 1}`)}, 'pending', 0, false)
    RETURNING *`;
  const list = async (text: string, values: unknown[]) => (await db.rows<LeadRow>(text, values)).map(toRecord);
  const one = async (text: string, values: unknown[]) => (await list(text, values))[0];

  return {
    // Replicas inserting the same phone take turns on a lock named by the phone; READ COMMITTED gives
    // the statement after the lock a fresh snapshot, so the second one sees the first one's lead.
    insertUnlessDuplicate: (lead, windowMs, now, lease) =>
      db.transaction(async (tx) => {
        await tx.rows(ADVISORY_XACT_LOCK, [db.lockName(`lead-phone:${lead.phone}`)]);
        const [existing] = await tx.rows<LeadRow>(FIND_RECENT, [lead.phone, now - windowMs]);
        if (existing) return { lead: toRecord(existing), duplicate: true };
        const [row] = await tx.rows<LeadRow>(insertLead, newLeadValues(lead, now, lease));
        if (!row) throw new Error("INSERT ... RETURNING gave no row");
        return { lead: toRecord(row), duplicate: false };
      }),
    findRecent: (phone, since) => one(FIND_RECENT, [phone, since]),
    get: (id) => one(`SELECT * FROM leads WHERE id = $1`, [id]),
    duePending: (now, limit, horizonMs) =>
      list(
        `SELECT * FROM leads WHERE state = 'pending' AND (next_attempt_at <= $1 OR next_attempt_at > $3)
          ORDER BY created_at, id LIMIT $2`,
        [now, limit, farOf(now, horizonMs)],
      ),
    listByState: async (states, limit) =>
      states.length === 0
        ? []
        : list(`SELECT * FROM leads WHERE state = ANY($1::text[]) ORDER BY created_at, id LIMIT $2`, [states, limit]),
    markDelivered: async (id, brainysoftId, now) => {
      await db.run(
        `UPDATE leads SET state = 'delivered', brainysoft_id = $1, attempts = attempts + 1, last_error = NULL, updated_at = $2
          WHERE id = $3`,
        [brainysoftId, now, id],
      );
    },
    markRetry: async (id, error, nextAttemptAt, now) => {
      await db.run(
        `UPDATE leads SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, updated_at = $3
          WHERE id = $4 AND state = 'pending'`,
        [error, nextAttemptAt, now, id],
      );
    },
    markFinal: async (id, state, error, now) => {
      await db.run(
        `UPDATE leads SET state = $1, attempts = attempts + 1, last_error = $2, updated_at = $3
          WHERE id = $4 AND state = 'pending'`,
        [state, error, now, id],
      );
    },
    requeue: async (id, now) =>
      (await db.run(
        `UPDATE leads SET state = 'pending', next_attempt_at = $1, requeued_at = $1, updated_at = $1, notified = false
          WHERE id = $2 AND state IN ('failed', 'rejected')`,
        [now, id],
      )) === 1,
    markNotified: async (id) => {
      await db.run(`UPDATE leads SET notified = true WHERE id = $1`, [id]);
    },
    unnotified: ({ from, to, afterId, limit }) =>
      list(
        `SELECT * FROM leads
          WHERE state IN ('delivered', 'rejected', 'failed') AND NOT notified
            AND updated_at >= $1 AND updated_at < $2 AND id > $3
          ORDER BY id LIMIT $4`,
        [from, to, afterId, limit],
      ),
    listCreatedBetween: (from, to, page) =>
      page
        ? list(
            `SELECT * FROM leads WHERE created_at >= $1 AND created_at < $2 AND (created_at, id) > ($3, $4)
              ORDER BY created_at, id LIMIT $5`,
            [from, to, page.after?.createdAt ?? from - 1, page.after?.id ?? 0, page.limit],
          )
        : list(`SELECT * FROM leads WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`, [from, to]),
    countByUserSince: async (userId, since) => {
      const [row] = await db.rows<{ n: number }>(
        `SELECT count(*) AS n FROM leads
          WHERE user_id = $1 AND created_at >= $2 AND actor = 'customer'
            AND NOT (state = 'rejected' AND last_error IN ('field-firstName', 'field-mobilePhone'))`,
        [userId, since],
      );
      return row?.n ?? 0;
    },
    countByState: async () => {
      const result = zeroByState();
      for (const { state, n } of await db.rows<{ state: LeadState; n: number }>(`SELECT state, count(*) AS n FROM leads GROUP BY state`)) {
        result[state] = n;
      }
      return result;
    },
    // SKIP LOCKED: a lead another replica is leasing right now is left to it rather than waited for;
    // the WHERE is checked again on the row's newest version, so a lease just committed is respected.
    leaseDue: async (now, limit, leaseMs, owner, horizonMs, orphans) =>
      (
        await list(
          `WITH due AS (
             SELECT id FROM leads
              WHERE state = 'pending' AND (next_attempt_at <= $1 OR next_attempt_at > $5)
                AND (lease_until IS NULL OR lease_until <= $1 OR lease_attempt IS DISTINCT FROM attempts
                     OR (lease_owner = $3 AND lease_until < $6 AND NOT (id = ANY($7::bigint[]))))
              ORDER BY created_at, id LIMIT $2
              FOR UPDATE SKIP LOCKED)
           UPDATE leads SET lease_owner = $3, lease_until = $4, lease_attempt = leads.attempts
             FROM due WHERE leads.id = due.id
           RETURNING leads.*`,
          [now, limit, owner, now + leaseMs, farOf(now, horizonMs), orphanedUntil(orphans, leaseMs), orphans?.except ?? []],
        )
      ).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id),
    leaseNamed: async (ids, now, leaseMs, owner) =>
      (
        await list(
          `UPDATE leads SET lease_owner = $3, lease_until = $4, lease_attempt = attempts
            WHERE id = ANY($1::bigint[]) AND state = 'pending'
              AND (lease_until IS NULL OR lease_until <= $2 OR lease_attempt IS DISTINCT FROM attempts OR lease_owner = $3)
            RETURNING *`,
          [ids, now, owner, now + leaseMs],
        )
      ).sort((a, b) => a.id - b.id),
    releaseLease: async (id, owner) =>
      (await db.run(
        `UPDATE leads SET lease_owner = NULL, lease_until = NULL, lease_attempt = NULL
          WHERE id = $1 AND lease_owner = $2 AND lease_attempt = attempts`,
        [id, owner],
      )) === 1,
  };
}

/** Retry times beyond this were set by a clock since set back: due now (types.ts, duePending). */
function farOf(now: number, horizonMs: number | undefined): number {
  return horizonMs === undefined ? Number.MAX_SAFE_INTEGER : now + horizonMs;
}

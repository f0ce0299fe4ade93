/**
 * The replica primitives (types.ts: leases, counters, coordination) on better-sqlite3. A
 * SQLite file serves one bot process, so leadership and chat locks only exclude callers in this
 * process; leases and counters live in the file like everything else.
 */
import type Database from "better-sqlite3";
import { createKeyedMutex } from "./keyed-mutex.js";
import type { GroupCommit } from "./sqlite-group-commit.js";
import { type LeadRow, orphanedUntil, toRecord } from "./lead-row.js";
import type { Coordination, LeadStore, Leadership, WindowCounters } from "./types.js";

export function sqliteLeadLeases(db: Database.Database, group: GroupCommit): Pick<LeadStore, "leaseDue" | "leaseNamed" | "releaseLease"> {
  // One statement, so atomic. A lease taken for an earlier attempt (lease_attempt behind attempts) is free.
  const lease = db.prepare<
    { now: number; far: number; limit: number; until: number; owner: string; orphanedUntil: number; except: string },
    LeadRow
  >(
    `UPDATE leads SET lease_owner = @owner, lease_until = @until, lease_attempt = attempts
      WHERE id IN (
        SELECT id FROM leads
         WHERE state = 'pending' AND (next_attempt_at <= @now OR next_attempt_at > @far)
           AND (lease_until IS NULL OR lease_until <= @now OR lease_attempt IS NOT attempts
                OR (lease_owner = @owner AND lease_until < @orphanedUntil AND id NOT IN (SELECT value FROM json_each(@except))))
         ORDER BY created_at, id LIMIT @limit)
      RETURNING *`,
  );
  const leaseNamed = db.prepare<{ ids: string; now: number; until: number; owner: string }, LeadRow>(
    `UPDATE leads SET lease_owner = @owner, lease_until = @until, lease_attempt = attempts
      WHERE id IN (SELECT value FROM json_each(@ids)) AND state = 'pending'
        AND (lease_until IS NULL OR lease_until <= @now OR lease_attempt IS NOT attempts OR lease_owner = @owner)
      RETURNING *`,
  );
  const release = db.prepare<[number, string]>(
    `UPDATE leads SET lease_owner = NULL, lease_until = NULL, lease_attempt = NULL
      WHERE id = ? AND lease_owner = ? AND lease_attempt = attempts`,
  );
  return {
    leaseDue: (now, limit, leaseMs, owner, horizonMs, orphans) =>
      group.write(() =>
        lease
          .all({
            now,
            far: horizonMs === undefined ? Number.MAX_SAFE_INTEGER : now + horizonMs,
            limit,
            until: now + leaseMs,
            owner,
            orphanedUntil: orphanedUntil(orphans, leaseMs),
            except: JSON.stringify(orphans?.except ?? []),
          })
          .map(toRecord)
          // RETURNING follows no ORDER BY.
          .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id),
      ),
    leaseNamed: (ids, now, leaseMs, owner) =>
      group.write(() =>
        leaseNamed
          .all({ ids: JSON.stringify(ids), now, until: now + leaseMs, owner })
          .map(toRecord)
          .sort((a, b) => a.id - b.id),
      ),
    releaseLease: (id, owner) => group.write(() => release.run(id, owner).changes === 1),
  };
}

export function sqliteWindowCounters(db: Database.Database, group: GroupCommit): WindowCounters {
  // SET sees the old row in every expression, so both CASEs test the same window.
  const hit = db
    .prepare<{ key: string; now: number; until: number }, number>(
      `INSERT INTO window_counters (key, count, expires_at) VALUES (@key, 1, @until)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN window_counters.expires_at <= @now THEN 1 ELSE window_counters.count + 1 END,
         expires_at = CASE WHEN window_counters.expires_at <= @now THEN excluded.expires_at ELSE window_counters.expires_at END
       RETURNING count`,
    )
    .pluck();
  return {
    hit: (key, windowMs, now) =>
      group.write(() => {
        const count = hit.get({ key, now, until: now + windowMs });
        if (count === undefined) throw new Error("window counter upsert returned no row");
        return count;
      }),
  };
}

/** Leadership and chat locks within this process; `endAll` (at close) ends every leadership held. */
export function localCoordination(): Coordination & { endAll(): void } {
  const held = new Map<string, () => void>();
  const chats = createKeyedMutex();
  return {
    async tryLeadership(name) {
      if (held.has(name)) return undefined;
      let end: () => void = () => {};
      const lost = new Promise<void>((resolve) => (end = resolve));
      const stop = () => {
        if (held.get(name) === stop) held.delete(name);
        end();
      };
      held.set(name, stop);
      const leadership: Leadership = {
        lost,
        isHeld: () => held.get(name) === stop,
        release: async () => stop(),
      };
      return leadership;
    },
    withChatLock: (chatId, fn) => chats.run(String(chatId), fn),
    endAll() {
      for (const stop of [...held.values()]) stop();
    },
  };
}

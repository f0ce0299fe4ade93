/**
 * Leadership and per-chat locks across replicas, with PostgreSQL advisory locks.
 *
 * Leadership is a session lock (pg_try_advisory_lock) on a connection of its own: it lasts while that
 * connection does, and the server frees it when the holder dies. A heartbeat notices a connection that
 * went quiet, so the holder learns of the loss instead of assuming it still leads.
 *
 * A chat lock is a transaction lock (pg_advisory_xact_lock) on a connection from a pool of its own:
 * `fn` runs its store calls on the main pool, so chats waiting for a lock never starve it. In-process
 * callers for one chat queue first, so a replica holds at most one lock connection per chat.
 */
import type { ClientConfig, Pool } from "pg";
import { loadPg } from "./pg-module.js";
import { createKeyedMutex } from "./keyed-mutex.js";
import { ADVISORY_XACT_LOCK, withClient, type PgDb } from "./postgres-db.js";
import type { Coordination, Leadership } from "./types.js";

export interface PostgresCoordinationOptions {
  db: PgDb;
  ready: () => Promise<void>;
  /** How the leadership connections connect (as the pool's). */
  clientConfig: ClientConfig;
  lockPool: Pool;
  /** How often a leader checks its connection. Default 10 s. */
  heartbeatMs?: number;
}

export function postgresCoordination(options: PostgresCoordinationOptions): Coordination & { endAll(): Promise<void> } {
  const { db, lockPool } = options;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const leaders = new Set<Leadership>();
  const chats = createKeyedMutex();

  async function tryLeadership(name: string): Promise<Leadership | undefined> {
    await options.ready();
    const client = new (loadPg().Client)(options.clientConfig);
    const key = db.lockName(`leader:${name}`);
    let heartbeat: NodeJS.Timeout | undefined;
    let held = false;
    let end: () => void = () => {};
    const lost = new Promise<void>((resolve) => (end = resolve));
    // Once lost, never held again: a new leadership is a new tryLeadership.
    const lose = () => {
      if (!held) return;
      held = false;
      clearInterval(heartbeat);
      leaders.delete(leadership);
      end();
      client.end().catch(() => {});
    };
    const leadership: Leadership = {
      lost,
      isHeld: () => held,
      release: async () => {
        if (!held) return;
        // Ending the session frees its locks; unlocking first frees this one even if the end lags. A
        // connection that no longer answers is not waited for: the server frees the lock when it drops it.
        const unlock = client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]).catch(() => {});
        await Promise.race([unlock, new Promise((resolve) => setTimeout(resolve, heartbeatMs).unref())]);
        lose();
      },
    };
    client.on("error", lose);
    client.on("end", lose);
    try {
      await client.connect();
      const [row] = (await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [key])).rows;
      if (!row?.ok) {
        await client.end().catch(() => {});
        return undefined;
      }
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    held = true;
    leaders.add(leadership);
    // A heartbeat still unanswered at the next one means the connection is gone, even if no error came.
    let answering = false;
    heartbeat = setInterval(() => {
      if (answering) return lose();
      answering = true;
      client.query("SELECT 1").then(() => (answering = false), lose);
    }, heartbeatMs);
    heartbeat.unref();
    return leadership;
  }

  return {
    tryLeadership,
    withChatLock: async (chatId, fn) => {
      await options.ready();
      return chats.run(String(chatId), () =>
        withClient(lockPool, async (client) => {
          await client.query("BEGIN");
          try {
            await client.query(ADVISORY_XACT_LOCK, [db.lockName(`chat:${chatId}`)]);
            return await fn();
          } finally {
            // Ends the transaction and with it the lock, whether fn succeeded or not (it wrote nothing here).
            await client.query("COMMIT").catch(() => {});
          }
        }),
      );
    },
    async endAll() {
      await Promise.all([...leaders].map((leader) => leader.release()));
    },
  };
}

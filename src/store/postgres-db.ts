/**
 * The small layer the PostgreSQL store runs its SQL through: a pool that waits for the store to be
 * open, transactions on one checked-out connection, and advisory-lock names kept within the store's
 * schema (two stores in two schemas of one database never block each other).
 */
import type { ClientConfig, Pool, PoolClient, QueryResultRow } from "pg";
import { loadPg } from "./pg-module.js";

export interface Queryable {
  rows<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** How many rows the statement inserted, updated or deleted. */
  run(text: string, values?: unknown[]): Promise<number>;
}

export interface PgDb extends Queryable {
  /** Runs `fn` in one transaction (READ COMMITTED) on one connection: committed if it resolves, else rolled back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Text to hash into an advisory lock key: `name` within this store's schema. Valid once the store is open. */
  lockName(name: string): string;
}

/** SQL that takes a transaction-scoped advisory lock on `$1`, a lockName. */
export const ADVISORY_XACT_LOCK = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`;

const INT8_OID = 20;

/**
 * BIGINT columns (Unix ms, Telegram ids, counts) as numbers: every value the bot stores fits in 2^53,
 * and a value that does not is an error rather than a silently rounded id.
 */
export const numberTypes: NonNullable<ClientConfig["types"]> = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid !== INT8_OID) return loadPg().types.getTypeParser(oid, format);
    return (text: string) => {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} does not fit in a JavaScript number`);
      return value;
    };
    // pg's overloads (one per format) cannot be implemented by one typed function; this one serves both.
  }) as NonNullable<ClientConfig["types"]>["getTypeParser"],
};

export function queryable(target: Pool | PoolClient, before: () => Promise<void> = async () => {}): Queryable {
  return {
    async rows<R extends QueryResultRow>(text: string, values?: unknown[]) {
      await before();
      return (await target.query<R>(text, values)).rows;
    },
    async run(text, values) {
      await before();
      return (await target.query(text, values)).rowCount ?? 0;
    },
  };
}

/**
 * A checked-out connection for `fn`. A connection that dies while checked out emits "error", which
 * with no listener would crash the process: the listener notes it and the connection is discarded.
 */
export async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on("error", onError);
  try {
    return await fn(client);
  } finally {
    client.removeListener("error", onError);
    client.release(broken);
  }
}

export function createPgDb(pool: Pool, ready: () => Promise<void>, namespace: () => string): PgDb {
  return {
    ...queryable(pool, ready),
    async transaction(fn) {
      await ready();
      return withClient(pool, async (client) => {
        await client.query("BEGIN");
        try {
          const result = await fn(queryable(client));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        }
      });
    },
    lockName: (name) => `${namespace()}:${name}`,
  };
}

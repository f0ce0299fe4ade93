/** What only the PostgreSQL store does: migrating under a lock, its open errors, locks across replicas. */
import { afterAll, afterEach, expect, it, vi } from "vitest";
import { StoreOpenError } from "../../src/store/errors.js";
import { openPostgresStore, type PostgresStoreOptions } from "../../src/store/postgres.js";
import { POSTGRES_SCHEMA_VERSION } from "../../src/store/postgres-migrations.js";
import type { Store } from "../../src/store/types.js";
import { lead } from "./contract.js";
import { describePostgres, testDatabase } from "./postgres-server.js";

const T0 = 1_700_000_000_000;

function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function openError(store: Store): Promise<StoreOpenError> {
  const error: unknown = await store.ready().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreOpenError);
  // Checked just above.
  const message = (error as StoreOpenError).message;
  expect(message).not.toContain("\n");
  return error as StoreOpenError;
}

await describePostgres("PostgreSQL store", (url) => {
  const database = testDatabase(url);
  const opened: Store[] = [];
  const open = (options: Partial<PostgresStoreOptions> & { schema: string }) => {
    const store = openPostgresStore({ url, poolSize: 3, ...options });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await database.dropSchemas();
  });
  afterAll(() => database.end());

  it("migrates an empty schema once when several replicas start together", async () => {
    const schema = database.newSchema();
    const replicas = Array.from({ length: 4 }, () => open({ schema }));
    await Promise.all(replicas.map((store) => store.ready()));
    const applied = await database.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(applied.map((row) => row.version)).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
    // Every replica works on the one schema.
    const results = await Promise.all(replicas.map((store) => store.leads.insertUnlessDuplicate(lead(), 60_000, T0)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);

    // A later start finds nothing to do.
    await open({ schema }).ready();
    expect(await database.query(`SELECT version FROM "${schema}".schema_migrations`)).toHaveLength(POSTGRES_SCHEMA_VERSION);
  });

  it("refuses a schema from a newer build with a readable message, and leaves it alone", async () => {
    const schema = database.newSchema();
    await open({ schema }).ready();
    await database.query(`INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES ($1, 0)`, [POSTGRES_SCHEMA_VERSION + 3]);

    const store = open({ schema });
    const error = await openError(store);
    expect(error.message).toContain(
      `written by a newer version of the bot (schema ${POSTGRES_SCHEMA_VERSION + 3}, this build knows ${POSTGRES_SCHEMA_VERSION})`,
    );
    // Every call reports the same.
    await expect(store.leads.countByState()).rejects.toBeInstanceOf(StoreOpenError);
    expect(await database.query(`SELECT version FROM "${schema}".schema_migrations`)).toHaveLength(POSTGRES_SCHEMA_VERSION + 1);
  });

  it("names an unreachable server in one line, without the password", async () => {
    const store = open({ schema: database.newSchema(), url: "postgres://bot:s3cret-Passw0rd@127.0.0.1:1/leads", connectTimeoutMs: 2_000 });
    const error = await openError(store);
    expect(error.message).toMatch(/^Cannot reach PostgreSQL bot@127\.0\.0\.1:1\/leads \(.*ECONNREFUSED.*\); check DATABASE_URL/);
    expect(error.message).not.toContain("s3cret-Passw0rd");
  });

  it("says so when the database does not exist", async () => {
    const missing = new URL(url);
    missing.pathname = "/no_such_database_for_the_bot";
    const error = await openError(open({ schema: database.newSchema(), url: missing.toString() }));
    expect(error.message).toContain("no_such_database_for_the_bot");
    expect(error.message).toContain("create the database or correct DATABASE_URL");
  });

  it("gives leadership to one replica; when its connection dies, another takes over", async () => {
    const schema = database.newSchema();
    const [a, b] = [open({ schema }), open({ schema })];
    const leader = await a.coordination.tryLeadership("polling");
    expect(leader?.isHeld()).toBe(true);
    expect(await b.coordination.tryLeadership("polling")).toBeUndefined();

    // The leader's connection is cut (a replica killed, a network split): the server frees the lock.
    // The key is the store's lock name for it, "<schema>:leader:<name>", hashed as the store does.
    const cut = await database.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
        WHERE locktype = 'advisory' AND granted
          AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [`${schema}:leader:polling`],
    );
    expect(cut).toEqual([{ ok: true }]);
    await leader?.lost;
    expect(leader?.isHeld()).toBe(false);

    const next = await b.coordination.tryLeadership("polling");
    expect(next?.isHeld()).toBe(true);
    expect(await a.coordination.tryLeadership("polling")).toBeUndefined();
  });

  it("makes replicas take turns on one chat, not on different chats", async () => {
    const schema = database.newSchema();
    const [a, b] = [open({ schema }), open({ schema })];
    const order: string[] = [];
    const inside = gate();
    const leave = gate();
    const first = a.coordination.withChatLock(-1001234567890, async () => {
      order.push("a in");
      inside.open();
      await leave.promise;
      // The store is usable inside the lock (its calls do not wait for lock connections).
      await a.leads.insertUnlessDuplicate(lead(), 60_000, T0);
      order.push("a out");
    });
    await inside.promise;
    const second = b.coordination.withChatLock(-1001234567890, async () => {
      order.push("b in");
    });
    await b.coordination.withChatLock(42, async () => order.push("b other chat"));
    // b's request reaches the server and waits there for a's lock.
    await vi.waitFor(async () =>
      expect(
        await database.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
              AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
          [`${schema}:chat:-1001234567890`],
        ),
      ).toHaveLength(1),
    );
    expect(order).toEqual(["a in", "b other chat"]);
    leave.open();
    await Promise.all([first, second]);
    expect(order).toEqual(["a in", "b other chat", "a out", "b in"]);
  });

  it("keeps stores in different schemas of one database apart, locks included", async () => {
    const [x, y] = [open({ schema: database.newSchema() }), open({ schema: database.newSchema() })];
    await x.leads.insertUnlessDuplicate(lead(), 60_000, T0);
    expect((await y.leads.countByState()).pending).toBe(0);
    expect(await x.coordination.tryLeadership("polling")).toBeDefined();
    expect(await y.coordination.tryLeadership("polling")).toBeDefined();
  });
});

/** The Store contract (contract.ts) against PostgreSQL: a schema of its own per test, dropped after it. */
import { afterAll } from "vitest";
import { openPostgresStore } from "../../src/store/postgres.js";
import { storeContract } from "./contract.js";
import { describePostgres, testDatabase } from "./postgres-server.js";

await describePostgres("PostgreSQL store", (url) => {
  const database = testDatabase(url);
  afterAll(() => database.end());
  storeContract(async () => {
    const schema = database.newSchema();
    return {
      open: async (options) => {
        const store = openPostgresStore({ url, schema, poolSize: 4, ...options });
        await store.ready();
        return store;
      },
      cleanup: () => database.dropSchemas(),
    };
  });
});

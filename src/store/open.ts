/** The store the configuration asks for: PostgreSQL when DATABASE_URL is set, else SQLite in DATA_DIR. */
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";

export function openStore(config: Pick<Config, "dataDir" | "database">, log: Logger): Store {
  if (config.database === undefined) return openSqliteStore({ dataDir: config.dataDir });
  const { url, schema, poolSize } = config.database;
  return openPostgresStore({
    url,
    schema,
    poolSize,
    // An idle connection dropped (a database restart, a failover): the pool opens a new one when needed.
    onBackgroundError: (error) => log.warn({ err: error }, "a PostgreSQL connection failed; the pool replaces it"),
  });
}

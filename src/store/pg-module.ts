import { createRequire } from "node:module";
import type Pg from "pg";

const require = createRequire(import.meta.url);

/**
 * The pg package, loaded when a PostgreSQL store is opened rather than at import: a bot on SQLite
 * never needs it, and it is about 15 MiB of resident memory (measured: a bare node 39 MiB, with pg 54).
 */
export function loadPg(): typeof Pg {
  // require() returns the module's exports untyped; this is the package the type import names.
  return require("pg") as typeof Pg;
}

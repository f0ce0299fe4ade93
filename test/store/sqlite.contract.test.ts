/** The Store contract (contract.ts) against SQLite: a real file in a temp dir per test. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { storeContract } from "./contract.js";

describe("SQLite store", () => {
  storeContract(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "store-contract-"));
    return {
      open: async (options) => openSqliteStore({ dataDir, ...options }),
      cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  });
});

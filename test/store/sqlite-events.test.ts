import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { Store } from "../../src/store/types.js";

const T0 = 1_700_000_000_000;
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "events-"));
  store = openSqliteStore({ dataDir: dir });
  // Before, inside and after the period [T0, T0 + 100).
  const events: Array<[number, string]> = [
    [T0 - 1, "duplicate"], [T0, "duplicate"], [T0 + 10, "crm-ok"], [T0 + 20, "crm-error"], [T0 + 20, "duplicate"],
    [T0 + 30, "crm-ok"], [T0 + 40, "received"], [T0 + 99, "crm-ok"], [T0 + 100, "crm-ok"], [T0 + 100, "duplicate"],
  ];
  for (const [at, kind] of events) await store.events.record({ at, kind, actor: "system", detail: `${kind}@${at - T0}` });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the event journal's periods", () => {
  it("counts the events of some kinds in [from, to), by kind", async () => {
    expect(await store.events.countByKind(["duplicate", "crm-ok", "crm-error"], T0, T0 + 100)).toEqual({ duplicate: 2, "crm-ok": 3, "crm-error": 1 });
    expect(await store.events.countByKind(["duplicate"], T0 + 21, T0 + 100)).toEqual({});
    expect(await store.events.countByKind([], T0 - 10, T0 + 200)).toEqual({});
  });

  it("gives at most `limit` of the period's events of some kinds, newest first", async () => {
    const details = async (limit: number) =>
      (await store.events.newestBetween(["crm-ok", "crm-error"], T0, T0 + 100, limit)).map((e) => e.detail);
    expect(await details(10)).toEqual(["crm-ok@99", "crm-ok@30", "crm-error@20", "crm-ok@10"]);
    expect(await details(2)).toEqual(["crm-ok@99", "crm-ok@30"]);
  });
});

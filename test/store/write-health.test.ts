import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { Store } from "../../src/store/types.js";
import { createWriteHealth, watchWrites, type WriteHealthOptions, type WriteProblem } from "../../src/store/write-health.js";
import { createStoreFaults } from "../harness/faulty-store.js";

const log = pino({ level: "silent" });
const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });

let told: string[];
let probeWorks: boolean;
let probes: number;

beforeEach(() => {
  vi.useFakeTimers();
  told = [];
  probeWorks = false;
  probes = 0;
});
afterEach(() => void vi.useRealTimers());

function health(options: Partial<WriteHealthOptions> = {}) {
  return createWriteHealth({
    log,
    probe: async () => {
      probes++;
      if (!probeWorks) throw full;
    },
    events: {
      failing: (p: WriteProblem) => void told.push(`failing ${p.failures} ${p.error}`),
      recovered: (p) => void told.push(`recovered ${p.failures} after ${p.durationMs} ms`),
    },
    settleMs: 10_000,
    probeBaseMs: 1_000,
    probeMaxMs: 4_000,
    ...options,
  });
}

describe("write health", () => {
  it("issue 12.8: one episode however many writes fail, over once writes have worked for settleMs", async () => {
    const writes = health();
    writes.failed("leads.insert", full);
    writes.failed("events.record", full);
    writes.wrote("updates.markHandled");
    await vi.advanceTimersByTimeAsync(5_000);
    // A nearly full disk: some writes fit, others not. Still the same episode.
    writes.failed("events.record", full);
    writes.wrote("updates.markHandled");
    await vi.advanceTimersByTimeAsync(9_999);
    expect(told).toEqual(["failing 1 SQLITE_FULL: database or disk is full"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(told).toEqual(["failing 1 SQLITE_FULL: database or disk is full", "recovered 3 after 5000 ms"]);
    writes.failed("leads.insert", full);
    expect(told).toHaveLength(3);
    writes.stop();
  });

  it("issue 12.8: reports a problem while the last write failed or results are owed, for readiness", () => {
    const writes = health();
    expect(writes.problem()).toBeUndefined();
    writes.failed("leads.markDelivered", full);
    expect(writes.problem()).toMatchObject({ failures: 1, error: "SQLITE_FULL: database or disk is full" });
    writes.owed(1);
    writes.wrote("updates.markHandled");
    // Writes work again, but a lead's result is still only in memory.
    expect(writes.problem()).toBeDefined();
    writes.owed(0);
    expect(writes.problem()).toBeUndefined();
    writes.stop();
  });

  it("probes an idle store with backoff until a write works", async () => {
    const writes = health();
    writes.failed("leads.insert", full);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(probes).toBe(2);
    await vi.advanceTimersByTimeAsync(4_000 + 4_000);
    expect(probes).toBe(4); // capped at 4 s
    probeWorks = true;
    // The probe reports through the watching store in the app; here, as it would.
    await vi.advanceTimersByTimeAsync(4_000);
    writes.wrote("probe");
    expect(writes.problem()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probes).toBe(5);
    writes.stop();
  });
});

describe("watchWrites", () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "write-health-"));
    store = openSqliteStore({ dataDir: dir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports each write and passes its error on unchanged; reads are not reported", async () => {
    const faults = createStoreFaults();
    const writes = health({ probe: async () => undefined });
    const watched = watchWrites(faults.wrap(store), writes);
    const { lead } = await watched.leads.insertUnlessDuplicate(
      { chatId: 1, userId: 1, firstName: "Анна", phone: "79776200777", source: "direct", actor: "customer", locale: "ru" },
      0,
      Date.now(),
    );
    faults.fail("leads.markDelivered");
    await expect(watched.leads.markDelivered(lead.id, 7, Date.now())).rejects.toMatchObject({ code: "SQLITE_FULL" });
    expect(writes.problem()).toBeDefined();
    expect(await watched.leads.get(lead.id)).toMatchObject({ state: "pending" });
    expect(writes.problem()).toBeDefined();
    await watched.probeWrite();
    expect(writes.problem()).toBeUndefined();
    writes.stop();
  });
});

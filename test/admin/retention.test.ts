import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRetention } from "../../src/admin/retention.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { ADMIN_ENV, admin, parseCsv, plain, say, WAIT } from "./helpers.js";
import { seedStore } from "./seed.js";

const DAY = 86_400_000;
let dir: string;
let t: TestApp | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "retention-"));
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("retention", () => {
  it("at start, events and finished leads older than RETENTION_DAYS are purged; newer ones stay", async () => {
    const now = Date.now();
    const [old, oldFailed, edge, recent] = await seedStore(
      dir,
      [
        { at: now - 100 * DAY, state: "delivered", phone: "79161110001", firstName: "Старый" },
        { at: now - 45 * DAY, state: "failed", phone: "79161110002" },
        { at: now - 25 * DAY, state: "delivered", phone: "79161110003" },
        { at: now - 1 * DAY, state: "delivered", phone: "79161110004" },
      ],
      [{ at: now - 31 * DAY, kind: "error", actor: "system", source: "bot", detail: "an old bot error" }],
    );
    t = await startTestApp({ dataDir: dir, env: { ...ADMIN_ENV, RETENTION_DAYS: "30" } });
    const store = t.app.store;
    expect(await store.leads.get(old!.id)).toBeUndefined();
    expect(await store.leads.get(oldFailed!.id)).toBeUndefined();
    expect(await store.leads.get(edge!.id)).toMatchObject({ phone: "79161110003" });
    expect(await store.leads.get(recent!.id)).toMatchObject({ phone: "79161110004" });
    const left = await store.events.between(0, now + DAY);
    expect(new Set(left.map((e) => e.leadId))).toEqual(new Set([edge!.id, recent!.id]));
    expect(left.every((e) => e.at >= now - 30 * DAY)).toBe(true);

    // What admins can still see agrees.
    const logs = plain(await say(t, admin, "/logs 100"));
    expect(logs).not.toContain("an old bot error");
    expect(logs).not.toContain(`#${old!.id}`);
    await say(t, admin, "/export 3650 full");
    const doc = await t.telegram.waitForMessage(admin.id, (m) => m.method === "sendDocument", WAIT);
    const rows = parseCsv(doc.document!.content!.toString("utf8")).slice(1);
    expect(rows.map((r) => r[7])).toEqual(["'+7 916 111-00-03", "'+7 916 111-00-04"]);
    expect(t.logText()).toMatch(/"events":6,"leads":2.*"retention purge"/);
  });

  it("runs again on its timer, so rows age out while the bot keeps running", async () => {
    const store = openSqliteStore({ dataDir: dir });
    let clock = Date.now();
    await store.events.record({ at: clock - 5 * DAY, kind: "error", actor: "system", detail: "five days old" });
    await store.events.record({ at: clock - 1 * DAY, kind: "error", actor: "system", detail: "one day old" });
    const retention = createRetention({ store, retentionDays: 3, log: pino({ level: "silent" }), now: () => clock, everyMs: 30 });
    try {
      await retention.start();
      expect((await store.events.recent(10, 0)).map((e) => e.detail)).toEqual(["one day old"]);
      clock += 3 * DAY; // the remaining event is now four days old
      await expect.poll(async () => (await store.events.recent(10, 0)).length, { timeout: 5_000 }).toBe(0);
    } finally {
      retention.stop();
      await store.close();
    }
  });
});

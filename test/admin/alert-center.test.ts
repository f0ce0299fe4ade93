import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Api } from "grammy";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAlertCenter, type AlertCenter } from "../../src/admin/alerts.js";
import { detailText } from "../../src/admin/journal.js";
import type { CreateLeadResult } from "../../src/brainysoft/client.js";
import { createTranslate } from "../../src/i18n.js";
import type { SubmitOutcome } from "../../src/leads/submit-outcome.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { LeadRecord, Store } from "../../src/store/types.js";
import { startFakeTelegram, type FakeTelegram } from "../../src/fakes/fake-telegram.js";

const TOKEN = "123456789:alert-center-test-token";
const ADMINS = [111, 222];
let telegram: FakeTelegram;
let store: Store;
let dir: string;
let clock: number;
let center: AlertCenter;

beforeEach(async () => {
  telegram = await startFakeTelegram({ token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), "alerts-"));
  store = openSqliteStore({ dataDir: dir });
  clock = Date.parse("2025-03-05T10:00:00Z");
  center = createAlertCenter({
    api: new Api(TOKEN, { apiRoot: telegram.apiRoot }),
    adminIds: ADMINS,
    t: createTranslate("en"),
    locale: "en",
    store,
    log: pino({ level: "silent" }),
    now: () => clock,
    failuresBeforeAlert: 3,
    remindEveryMs: 60 * 60_000,
  });
});

afterEach(async () => {
  await center.stop();
  await store.close();
  await telegram.close();
  rmSync(dir, { recursive: true, force: true });
});

const lead = { id: 7, phone: "79776200777", actor: "customer", source: "direct", state: "pending", attempts: 1 } as LeadRecord;
const queued: SubmitOutcome = { kind: "queued", lead };
const created: SubmitOutcome = { kind: "created", lead: { ...lead, state: "delivered" }, brainysoftId: 5 };
const down: CreateLeadResult = { kind: "transient", status: 503, latencyMs: 3, detail: "HTTP 503 <html>" };
const refused: CreateLeadResult = { kind: "auth", status: 401, latencyMs: 3, detail: "HTTP 401" };
const ok: CreateLeadResult = { kind: "created", leadId: 5, status: 200, latencyMs: 3 };

/** Reports results the way the outbox does, `minutes` apart on the injected clock. */
async function report(results: CreateLeadResult[], minutes = 1) {
  for (const result of results) {
    clock += minutes * 60_000;
    await center.settled!(result.kind === "created" ? created : queued, result, false);
  }
  await center.flush();
}
const texts = (chat: number) => telegram.sent(chat).map((m) => m.plainText ?? "");

describe("AlertCenter", () => {
  it("stays quiet for failures below the threshold, and a success in between resets the count", async () => {
    await report([down, down, ok, down, down, ok]);
    expect(texts(111)).toEqual([]);
  });

  it("alerts once, reminds at most hourly with the folded count, and tells the recovery", async () => {
    await report([down, down, down]);
    expect(texts(111)).toEqual([
      "⚠️ Brainysoft is not answering (HTTP 503 <html>). Leads are saved and will be sent when it is back; waiting now: 0.",
    ]);
    await report(Array.from({ length: 59 }, () => down));
    expect(texts(111)).toHaveLength(1);
    await report([down]); // 60 minutes after the alert
    expect(texts(111)[1]).toBe(
      "⚠️ Brainysoft is still not answering, for 1 h 2 min now (60 failed calls since the last message; HTTP 503 <html>). Waiting: 0.",
    );
    await report([ok]);
    expect(texts(111)[2]).toBe(
      "🟢 Brainysoft answers again after 1 h 3 min. 63 failed calls during the outage. Nothing is waiting any more.",
    );
    expect(texts(222)).toEqual(texts(111));
  });

  it("tells refused credentials at once, and again when an outage turns into them", async () => {
    await report([refused]);
    expect(texts(111)).toEqual([expect.stringMatching(/^⛔ Brainysoft refuses the bot's credentials \(HTTP 401\)/)]);
    await report([refused, refused, ok, down, down, down, refused]);
    expect(texts(111).map((t) => t.split(" ")[0])).toEqual(["⛔", "🟢", "⚠️", "⛔"]);
    const journal = await store.events.recent(10, 0);
    expect(journal.map((e) => e.kind)).toEqual(["auth-failure", "outage", "recovered", "auth-failure"]);
    // The recovery is stored as numbers (3 min after the first refusal, 3 failed calls), worded when read.
    expect(JSON.parse(journal[2]!.detail!)).toEqual({ code: "recovered", seconds: 180, failures: 3 });
  });

  it("issue 12.8: tells the store's write failure once, escaped, and when it takes writes again", async () => {
    const since = clock;
    center.storeFailing({ since, failures: 1, error: "SQLITE_FULL: database or disk <is> full" });
    center.storeRecovered({ since, failures: 42, error: "SQLITE_FULL: database or disk <is> full", durationMs: 7 * 60_000 });
    await center.flush();
    expect(texts(111)).toEqual([
      expect.stringMatching(/^🛑 The bot cannot write to its database \(SQLITE_FULL: database or disk <is> full\)\. .*DATA_DIR/),
      "🟢 The database takes writes again after 7 min. 42 writes failed meanwhile; what was held in memory is stored now.",
    ]);
    expect(telegram.sent(111)[0]?.text).toContain("&lt;is&gt;");
    expect(texts(222)).toEqual(texts(111));
  });

  it("an admin who cannot be written to does not stop the others, and the journal says so", async () => {
    telegram.failNext("sendMessage", { code: 403, description: "Forbidden: bot was blocked by the user" });
    await report([refused]);
    expect(texts(111)).toEqual([]);
    expect(texts(222)).toHaveLength(1);
    const [error] = await store.events.recent(1, 0, { kinds: ["error"] });
    expect(JSON.parse(error!.detail!)).toEqual({
      code: "alert-undelivered",
      admin: 111,
      error: expect.stringMatching(/^GrammyError: .*403: Forbidden/),
    });
    const english = (key: string, vars?: Record<string, string | number>) => createTranslate("en")("en", key, vars);
    expect(detailText(error!.detail!, english)).toMatch(/^alert to admin 111 not delivered: GrammyError: .*403: Forbidden/);
  });
});

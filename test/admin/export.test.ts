import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bot } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatLocalTime, startOfDay } from "../../src/admin/format.js";
import type { BotContext } from "../../src/bot/context.js";
import { adminExportFeature } from "../../src/bot/features/admin-export.js";
import { createI18n, translationMiddleware } from "../../src/i18n.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { LeadRecord, Store } from "../../src/store/types.js";
import { startFakeTelegram, type FakeTelegram } from "../../src/fakes/fake-telegram.js";
import { textOf } from "../harness/locale.js";
import { admin, parseCsv, WAIT } from "./helpers.js";

const DAY = 86_400_000;
let dir: string;
let store: Store;
let fake: FakeTelegram;
let bot: Bot<BotContext> | undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "admin-export-"));
  store = openSqliteStore({ dataDir: join(dir, "data") });
  fake = await startFakeTelegram();
});

afterEach(async () => {
  if (bot?.isRunning()) await bot.stop();
  bot = undefined;
  await fake.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `count` leads created from `at` on, a second apart, as the bot stores them. */
async function addLeads(count: number, at: number, firstId: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const phone = `7916${String(firstId + i).padStart(7, "0")}`;
    await store.leads.insertUnlessDuplicate(
      { chatId: firstId + i, userId: firstId + i, firstName: "Мария", phone, source: "spring_promo", actor: "customer", locale: "ru" },
      0,
      at + i * 1000,
    );
  }
}

/** The store, recording how many leads each read of a period returned. */
function recordingReads(reads: number[]): Pick<Store, "leads" | "events"> {
  const leads: Store["leads"] = Object.create(store.leads) as Store["leads"]; // the real store, one method observed
  leads.listCreatedBetween = async (from, to, page) => {
    const found = await store.leads.listCreatedBetween(from, to, page);
    reads.push(found.length);
    return found;
  };
  return { leads, events: store.events };
}

/** The real export feature in a grammY bot against the fake Bot API, for an admin. */
async function startExportBot(deps: Parameters<typeof adminExportFeature>[0]): Promise<void> {
  const started = new Bot<BotContext>(fake.token, { client: { apiRoot: fake.apiRoot } });
  started.use(translationMiddleware<BotContext>(createI18n("en"), "en"));
  started.use((ctx, next) => {
    ctx.role = "admin";
    return next();
  });
  started.use(adminExportFeature(deps));
  bot = started;
  await new Promise<void>((resolve) => void started.start({ onStart: () => resolve() }));
}

async function exportFile(command: string): Promise<{ caption: string; rows: string[][] }> {
  const seq = fake.sent(admin.id).length;
  fake.sendText(admin, command);
  const doc = await fake.waitForMessage(admin.id, (m) => m.seq > seq && m.method === "sendDocument", WAIT);
  const [, ...rows] = parseCsv(doc.document?.content?.toString("utf8") ?? "");
  return { caption: doc.plainText ?? "", rows };
}

describe("/export", () => {
  it("issue 12.12: reads a long period a page at a time, and stops the file at its cap with a note saying where", async () => {
    const now = Date.now();
    const twoDaysAgo = startOfDay(now, 2) + 3_600_000;
    const today = Math.max(startOfDay(now), now - 3_600_000);
    await addLeads(1200, twoDaysAgo, 1);
    await addLeads(300, today - 300_000, 5001);
    const reads: number[] = [];
    const tempDir = join(dir, "tmp");
    mkdirSync(tempDir);
    await startExportBot({ store: recordingReads(reads), now: () => now, limits: { pageSize: 100, maxRows: 1000 }, tempDir });

    const week = await exportFile("/export");
    // The oldest thousand, in order; memory held a hundred at a time.
    const all = await store.leads.listCreatedBetween(0, now + 1);
    expect(week.rows.map((r) => Number(r[0]))).toEqual(all.slice(0, 1000).map((l: LeadRecord) => l.id));
    expect(Math.max(...reads)).toBeLessThanOrEqual(100);
    const lastIn = all[999]?.createdAt ?? 0;
    expect(week.caption).toBe(
      [
        textOf("export-caption", { count: 1000, days: 7, full: "no" }, "en"),
        textOf("export-capped", { rows: 1000, until: formatLocalTime(lastIn, "DD.MM.YYYY hh:mm") }, "en"),
      ].join("\n"),
    );

    // Fewer days: the newer leads, all of them, and no note.
    reads.length = 0;
    const day = await exportFile("/export 1");
    expect(day.rows).toHaveLength(300);
    expect(day.caption).toBe(textOf("export-caption", { count: 300, days: 1, full: "no" }, "en"));
    expect(reads).toEqual([100, 100, 100, 0]);
    // The journal counts what the files held; no file is left behind.
    const journal = await store.events.recent(2, 0, { kinds: ["export"] });
    expect(journal.map((e) => JSON.parse(e.detail ?? "{}").leads)).toEqual([300, 1000]);
    // The handler removes its file once the upload is answered, a moment after the fake recorded it.
    await expect.poll(() => readdirSync(tempDir), { timeout: WAIT }).toEqual([]);
    expect(fake.calls.filter((c) => c.error)).toEqual([]);
  });

  it("a store that returns a whole period at once still gives each lead once", async () => {
    const now = Date.now();
    await addLeads(250, now - DAY, 1);
    const whole: Pick<Store, "leads" | "events"> = {
      // The real store, with reads that ignore the page.
      leads: Object.assign(Object.create(store.leads) as Store["leads"], {
        listCreatedBetween: (from: number, to: number) => store.leads.listCreatedBetween(from, to),
      }),
      events: store.events,
    };
    await startExportBot({ store: whole, now: () => now, limits: { pageSize: 100 } });
    const { rows } = await exportFile("/export");
    expect(rows).toHaveLength(250);
    expect(new Set(rows.map((r) => r[0])).size).toBe(250);
  });
});

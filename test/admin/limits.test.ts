import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startOfDay } from "../../src/admin/format.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { NewLeadEvent } from "../../src/store/types.js";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { ADMIN_ENV, admin, plain, say, secondAdmin, WAIT } from "./helpers.js";
import { seedStore, type SeedLead, SEEDED_OUTBOX } from "./seed.js";

/** Telegram's limit, counted as the fake counts it: characters after entity parsing. */
const TEXT_LIMIT = 4096;

let dir: string | undefined;
let t: TestApp | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Deep-link payloads as long as Telegram allows (64 of A-Z a-z 0-9 _ -), each different. */
const longSource = (n: number) => `${String(n).padStart(3, "0")}_${"spring_campaign_for_returning_customers_".repeat(2)}`.slice(0, 64);

async function appWith(leads: SeedLead[]): Promise<TestApp> {
  dir = mkdtempSync(join(tmpdir(), "admin-limits-"));
  await seedStore(dir, leads);
  t = await startTestApp({ dataDir: dir, env: ADMIN_ENV, outbox: SEEDED_OUTBOX });
  return t;
}

const en = (key: string, vars?: Record<string, string | number>) => textOf(key, vars, "en");
const ru = (key: string, vars?: Record<string, string | number>) => textOf(key, vars, "ru");
const buttons = (m: SentMessage): Array<{ text: string; callback_data: string }> => (m.reply_markup?.inline_keyboard ?? []).flat();

/** Presses the button labelled `label` and returns the message as it is after the edit. */
async function press(app: TestApp, user: FakeUser, message: SentMessage, label: string): Promise<SentMessage> {
  const button = buttons(message).find((b) => b.text === label);
  expect(button, `a button "${label}" on ${JSON.stringify(buttons(message))}`).toBeDefined();
  const seq = app.telegram.sent(user.id).length;
  app.telegram.pressButton(user, message, button?.callback_data ?? "");
  return app.telegram.waitForMessage(user.id, (m) => m.seq > seq && m.message_id === message.message_id, WAIT);
}

/** No call the bot made was refused: a message over a limit is a 400 from Telegram. */
function expectNoRefusedCall(app: TestApp): void {
  expect(app.telegram.calls.filter((c) => c.error).map((c) => `${c.method}: ${c.error?.description}`)).toEqual([]);
}

describe("admin answers within Telegram's limits", () => {
  it("issue 12.5: /stats with sixty 64-character deep-link sources fits one message, and every source is in the pages behind its button", async () => {
    const now = Date.now();
    const today = Math.max(startOfDay(now), now - 60_000);
    const sources = Array.from({ length: 60 }, (_, i) => longSource(i));
    const app = await appWith(
      sources.map((source, i) => ({ at: today, state: "delivered", phone: `7916${String(5_000_000 + i)}`, source })),
    );

    const stats = await say(app, admin, "/stats");
    expect(plain(stats)).toMatch(
      new RegExp(
        `^${en("stats-period", { title: en("stats-today"), leads: 60, delivered: 60, waiting: 0, failed: 0, rejected: 0, duplicates: 0 }).split("\n")[0]}`,
      ),
    );
    expect(plain(stats).length).toBeLessThanOrEqual(TEXT_LIMIT);
    // The first sources by name, shortened; the rest counted.
    expect(plain(stats)).toContain(en("stats-sources-more", { count: 52 }));

    // The button opens the full list in a message of its own; « » turn its pages.
    const seq = app.telegram.sent(admin.id).length;
    app.telegram.pressButton(admin, stats, buttons(stats)[0]?.callback_data ?? "");
    let page = await app.telegram.waitForMessage(admin.id, (m) => m.seq > seq && m.method === "sendMessage", WAIT);
    const header = en("sources-header", { sources: 60, leads: 60 });
    const seen: string[] = [];
    const positions: string[] = [];
    for (let n = 1; ; n++) {
      const text = plain(page);
      expect(text.length).toBeLessThanOrEqual(TEXT_LIMIT);
      expect(text.startsWith(header)).toBe(true);
      positions.push(text.split("\n")[1] ?? "");
      seen.push(...sources.filter((s) => text.includes(en("source-link", { link: s }))));
      const next = buttons(page).find((b) => b.text === en("paging-next", { page: n + 1 }));
      if (!next) break;
      page = await press(app, admin, page, next.text);
    }
    expect(positions).toEqual([en("paging-position", { page: 1, pages: 2 }), en("paging-position", { page: 2, pages: 2 })]);
    expect(seen.sort()).toEqual([...sources].sort());
    const back = await press(app, admin, page, en("paging-previous", { page: 1 }));
    expect(plain(back).split("\n")[1]).toBe(en("paging-position", { page: 1, pages: 2 }));
    expectNoRefusedCall(app);
  });

  it("issue 12.5: /pending with forty-five waiting leads from 64-character deep links comes in pages of ten with « » buttons", async () => {
    const now = Date.now();
    // Waiting for days, tried a dozen times: what an outage leaves behind.
    const leads: SeedLead[] = Array.from({ length: 45 }, (_, i) => ({
      at: now - 2 * 86_400_000 - 5 * 3_600_000 - (45 - i) * 60_000,
      state: "pending",
      attempts: 12,
      phone: `7916${String(6_000_000 + i)}`,
      source: longSource(i),
    }));
    const app = await appWith(leads);
    const ids = (await app.app.store.leads.listByState(["pending"], 100)).map((l) => l.id);
    expect(ids).toHaveLength(45);

    // In Russian, the longer of the two languages.
    let page = await say(app, secondAdmin, "/pending");
    expectNoRefusedCall(app);
    const shown: number[] = [];
    for (let n = 1; ; n++) {
      const text = plain(page);
      expect(text.length).toBeLessThanOrEqual(TEXT_LIMIT);
      expect(text.split("\n\n").slice(0, 2)).toEqual([
        ru("pending-header", { waiting: 45, failed: 0, rejected: 0 }),
        ru("paging-position", { page: n, pages: 5 }),
      ]);
      const onPage = [...text.matchAll(/^#(\d+) /gm)].map((m) => Number(m[1]));
      expect(onPage.length).toBe(n < 5 ? 10 : 5);
      shown.push(...onPage);
      // The full deep link, as it was given.
      expect(text).toContain(ru("source-link", { link: longSource(shown.length - 1) }));
      expect(buttons(page).map((b) => b.callback_data)).toContain("retry:all");
      const next = buttons(page).find((b) => b.text === ru("paging-next", { page: n + 1 }));
      if (!next) break;
      page = await press(app, secondAdmin, page, next.text);
    }
    expect(shown).toEqual(ids);
    const back = await press(app, secondAdmin, page, ru("paging-previous", { page: 4 }));
    expect(plain(back).split("\n\n")[1]).toBe(ru("paging-position", { page: 4, pages: 5 }));
    expectNoRefusedCall(app);
  });

  it("issue 12.5: /agents with four hundred agents added in the chat names the first hundred and counts the rest", async () => {
    const app = await appWith([]);
    await app.close();
    t = undefined;
    const store = openSqliteStore({ dataDir: app.dataDir });
    const ids = Array.from({ length: 400 }, (_, i) => 5_000_000_000 + i);
    for (const id of ids) await store.roles.addAgent(id, admin.id, Date.now());
    await store.close();
    t = await startTestApp({ dataDir: app.dataDir, env: ADMIN_ENV, outbox: SEEDED_OUTBOX });

    const text = plain(await say(t, admin, "/agents"));
    expectNoRefusedCall(t);
    expect(text.length).toBeLessThanOrEqual(TEXT_LIMIT);
    expect(text).toContain(`${ids.slice(0, 100).join(", ")}, ${en("list-more", { count: 300 })}`);
  });

  it("/logs with 64-character deep links and long error details keeps each page of ten inside the limit", async () => {
    const now = Date.now();
    const events: NewLeadEvent[] = Array.from({ length: 20 }, (_, i) => ({
      at: now - i * 1000,
      kind: "crm-error",
      actor: "customer",
      source: longSource(i),
      maskedPhone: "+7 916 ***-**-01",
      leadId: 100_000 + i,
      detail: `transient: HTTP 503 <html>${"&lt;error&gt; ".repeat(60)}</html>`,
    }));
    dir = mkdtempSync(join(tmpdir(), "admin-limits-"));
    await seedStore(dir, [], events);
    t = await startTestApp({ dataDir: dir, env: ADMIN_ENV, outbox: SEEDED_OUTBOX });
    const first = await say(t, admin, "/logs 20 errors");
    const second = await press(t, admin, first, en("logs-older"));
    for (const page of [first, second]) expect(plain(page).length).toBeLessThanOrEqual(TEXT_LIMIT);
    expect(plain(second)).toContain(longSource(19));
    expectNoRefusedCall(t);
  });
});

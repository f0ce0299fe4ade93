import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHART_COLOURS, chartLayout } from "../../src/admin/chart.js";
import { formatLocalTime, startOfDay } from "../../src/admin/format.js";
import type { LeadRecord } from "../../src/store/types.js";
import { patternOf, textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { ADMIN_ENV, admin, agent, decodePng, parseCsv, plain, say, secondAdmin, WAIT } from "./helpers.js";
import { seedStore, type SeedLead, SEEDED_OUTBOX } from "./seed.js";

const DAY = 86_400_000;
let dir: string;
let t: TestApp | undefined;
let seeded: LeadRecord[];
let now: number;

/**
 * Today: four delivered (three customers, one deep link), one agent lead waiting, one failed, and a
 * duplicate turned away. Two days ago: two deep-link leads delivered and one rejected. Ten days ago:
 * five delivered, outside the week.
 */
function history(): SeedLead[] {
  now = Date.now();
  // Never before today's midnight, even when the test runs just after it.
  const today = Math.max(startOfDay(now), now - 60_000);
  const twoDaysAgo = startOfDay(now, 2) + 3 * 3_600_000;
  const tenDaysAgo = now - 10 * DAY;
  return [
    { at: today, state: "delivered", phone: "79161230001", latencyMs: 100 },
    { at: today, state: "delivered", phone: "79161230002", latencyMs: 200, firstName: "=cmd|' /C calc'!A0" },
    { at: today, state: "delivered", phone: "79161230003", latencyMs: 300 },
    { at: today, state: "delivered", phone: "79161230004", latencyMs: 400, source: "spring_promo" },
    { at: today, state: "pending", phone: "79161230005", agentId: agent.id },
    { at: today, state: "failed", phone: "79161230006" },
    { at: twoDaysAgo, state: "delivered", phone: "79161230007", latencyMs: 1000, source: "spring_promo" },
    { at: twoDaysAgo, state: "delivered", phone: "79161230008", latencyMs: 2000, source: "spring_promo" },
    { at: twoDaysAgo, state: "rejected", phone: "79161230009" },
    ...[10, 11, 12, 13, 14].map((n): SeedLead => ({ at: tenDaysAgo, state: "delivered", phone: `791612300${n}` })),
  ];
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "admin-stats-"));
  const leads = history();
  seeded = await seedStore(dir, leads, [
    { at: leads[0]!.at, kind: "duplicate", actor: "customer", source: "direct", maskedPhone: "+7 916 ***-**-01", leadId: 1 },
  ]);
  t = await startTestApp({ dataDir: dir, env: ADMIN_ENV, outbox: SEEDED_OUTBOX });
});

afterEach(async () => {
  await t?.close();
  t = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const app = () => t!;

/** What the admin (who speaks English) reads for a locale key. */
const en = (key: string, vars: Record<string, string | number> = {}) => textOf(key, vars, "en");

/** The admin's name for a lead's source, as sourceLabel words it. */
const customerSource = () => en("source-customer");
const agentSource = () => en("source-agent", { id: String(agent.id) });
const linkSource = (link: string) => en("source-link", { link });

/** One period of /stats as the bot composes it (formatPeriod in src/bot/features/admin-stats.ts). */
function periodText(
  titleKey: string,
  counts: { leads: number; delivered: number; waiting: number; failed: number; rejected: number; duplicates: number },
  percent: number,
  sources: Array<[string, number]>,
  latency: { p50: string; p95: string; calls: number },
): string {
  return [
    en("stats-period", { title: en(titleKey), ...counts }),
    en("stats-success", { percent }),
    en("stats-sources", { list: sources.map(([source, count]) => en("stats-source-item", { source, count })).join(", ") }),
    // Milliseconds go as strings: no grouping in "2000 ms".
    en("stats-latency", latency),
  ].join("\n");
}

describe("/stats", () => {
  it("shows today and the last 7 days by outcome and source, success, latency and the queue", async () => {
    const text = plain(await say(app(), admin, "/stats"));
    const [today, week, queue] = text.split("\n\n");
    expect(today).toBe(
      periodText(
        "stats-today",
        { leads: 6, delivered: 4, waiting: 1, failed: 1, rejected: 0, duplicates: 1 },
        80,
        [
          [customerSource(), 4],
          [agentSource(), 1],
          [linkSource("spring_promo"), 1],
        ],
        { p50: "200", p95: "400", calls: 4 },
      ),
    );
    expect(week).toBe(
      periodText(
        "stats-week",
        { leads: 9, delivered: 6, waiting: 1, failed: 1, rejected: 1, duplicates: 1 },
        75,
        [
          [customerSource(), 5],
          [linkSource("spring_promo"), 3],
          [agentSource(), 1],
        ],
        { p50: "300", p95: "2000", calls: 6 },
      ),
    );
    // The waiting lead was made within the last minute before the test started: seconds, or a minute at most.
    const oldest = patternOf("stats-queue-oldest", "en", { whole: true, vars: { pending: "1", failed: "1" }, capture: "oldest" }).exec(
      queue ?? "",
    )?.[1];
    const ages = [...Array.from({ length: 60 }, (_, n) => en("unit-seconds", { n })), en("unit-minutes", { n: 1 })];
    expect(ages).toContain(oldest);
  });

  it("sends a PNG chart whose bars measure the leads of each day", async () => {
    await say(app(), admin, "/stats");
    const photo = await app().telegram.nextMessage(admin.id, WAIT);
    expect(photo.method).toBe("sendPhoto");
    expect(photo.caption).toBe(en("stats-chart-caption"));
    const png = decodePng(photo.document!.content!);
    const layout = chartLayout(7);
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);

    /** Heights of the coloured runs in the middle column of bar i, from the axis up. */
    const bar = (i: number) => {
      const x = layout.barLeft(i) + layout.barWidth / 2;
      const runs = { delivered: 0, waiting: 0, failed: 0 };
      for (let y = layout.plotBottom - 1; y >= 0; y--) {
        const [r, g, b] = png.pixel(x, y);
        const colour = (Object.keys(runs) as Array<keyof typeof runs>).find((k) => CHART_COLOURS[k].join() === [r, g, b].join());
        if (!colour) break;
        runs[colour] += 1;
      }
      return runs;
    };
    const unit = layout.plotHeight / 6; // the tallest day (today) has 6 leads
    expect(bar(6)).toEqual({
      delivered: Math.round(4 * unit),
      waiting: Math.round(5 * unit) - Math.round(4 * unit),
      failed: layout.plotHeight - Math.round(5 * unit),
    });
    expect(bar(4)).toEqual({ delivered: Math.round(2 * unit), waiting: 0, failed: Math.round(3 * unit) - Math.round(2 * unit) });
    for (const empty of [0, 1, 2, 3, 5]) expect(bar(empty)).toEqual({ delivered: 0, waiting: 0, failed: 0 });
    // Digits are drawn: the total "6" above today's bar leaves text-coloured pixels there.
    const above = Array.from({ length: layout.barWidth }, (_, dx) =>
      png.pixel(layout.barLeft(6) + dx, layout.plotBottom - layout.plotHeight - 12),
    );
    expect(above.some((p) => p.join() === CHART_COLOURS.text.join())).toBe(true);
  });
});

describe("/pending and /retry", () => {
  it("lists the waiting and failed leads, masked, and sends one again on /retry ID", async () => {
    const pending = seeded.find((l) => l.state === "pending")!;
    const failed = seeded.find((l) => l.state === "failed")!;
    const rejected = seeded.find((l) => l.state === "rejected")!;
    const list = await say(app(), admin, "/pending");
    const text = plain(list);
    const [header, ...entries] = text.split("\n\n");
    expect(header).toBe(en("pending-header", { waiting: 1, failed: 1, rejected: 1 }));
    /** The entry of lead `id`: its line (how long ago left free) and, under it, the masked phone and the source. */
    const entry = (lead: LeadRecord) => entries.find((e) => e.startsWith(`#${lead.id} `))?.split("\n") ?? [];
    const line = (lead: LeadRecord, vars: Record<string, string> = {}) =>
      patternOf("pending-line", "en", { whole: true, vars: { id: String(lead.id), state: lead.state, ...vars } });
    const [pendingLine, pendingWho] = entry(pending);
    expect(pendingLine).toMatch(line(pending, { attempts: "1", error: "transient" }));
    expect(pendingWho).toBe(`+7 916 ***-**-05 · ${agentSource()}`);
    const [failedLine, failedWho] = entry(failed);
    expect(failedLine).toMatch(line(failed, { attempts: "1", error: "transient" }));
    expect(failedWho).toBe(`+7 916 ***-**-06 · ${customerSource()}`);
    expect(entry(rejected)[0]).toMatch(line(rejected));
    expect(text).not.toContain("79161230006");
    expect(list.reply_markup.inline_keyboard[0][0]).toMatchObject({ callback_data: "retry:all" });

    expect(plain(await say(app(), admin, `/retry ${failed.id}`))).toBe(en("retry-started", { count: 1 }));
    const done = plain(await app().telegram.nextMessage(admin.id, WAIT));
    const [sent] = app().crm.created;
    expect(done).toBe(en("retry-one-done", { id: String(failed.id), state: "delivered", number: String(sent?.id) }));
    expect(sent?.body).toEqual({ firstName: "Мария", mobilePhone: "79161230006" });
    expect(await app().app.store.leads.get(failed.id)).toMatchObject({ state: "delivered", brainysoftId: sent?.id });
    const [retried] = await app().app.store.events.recent(1, 0, { kinds: ["retried"] });
    expect(retried).toMatchObject({ actor: `admin:${admin.id}`, leadId: failed.id });
  });

  it("the button sends every waiting and failed lead again; a delivered one needs nothing", async () => {
    const list = await say(app(), admin, "/pending");
    app().telegram.pressButton(admin, list, "retry:all");
    expect(plain(await app().telegram.nextMessage(admin.id, WAIT))).toBe(en("retry-started", { count: 2 }));
    expect(plain(await app().telegram.nextMessage(admin.id, WAIT))).toBe(
      en("retry-done", { count: 2, delivered: 2, waiting: 0, failed: 0 }),
    );
    expect(
      app()
        .crm.created.map((c) => c.body.mobilePhone)
        .sort(),
    ).toEqual(["79161230005", "79161230006"]);
    const delivered = seeded[0]!;
    expect(plain(await say(app(), admin, `/retry ${delivered.id}`))).toBe(
      en("retry-not-needed", { id: String(delivered.id), state: "delivered", number: String(delivered.brainysoftId) }),
    );
    // The id as the admin typed it, not a grouped "999,999".
    expect(plain(await say(app(), admin, "/retry 999999"))).toBe(en("retry-not-found", { id: "999999" }));
    expect(plain(await say(app(), admin, "/retry"))).toBe(en("retry-usage"));
    expect(plain(await say(app(), admin, "/pending")).split("\n\n")[0]).toBe(en("pending-header", { waiting: 0, failed: 0, rejected: 1 }));
  });
});

describe("/export", () => {
  it("sends the week's leads as CSV with masked phones and names, formulas defused", async () => {
    await say(app(), admin, "/export");
    const doc = await app().telegram.waitForMessage(admin.id, (m) => m.method === "sendDocument", WAIT);
    expect(doc.document?.filename).toMatch(/^leads-\d{4}-\d{2}-\d{2}-7d\.csv$/);
    expect(doc.caption).toBe(en("export-caption", { count: 9, days: 7, full: "no" }));
    const csv = doc.document!.content!.toString("utf8");
    expect(csv.startsWith("\uFEFF")).toBe(true);
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual([
      "lead",
      "brainysoft_number",
      "created_at",
      "state",
      "source",
      "agent_id",
      "first_name",
      "phone",
      "attempts",
      "last_error",
    ]);
    expect(rows).toHaveLength(9);
    expect(rows.map((r) => r[7])).toContain("'+7 916 ***-**-01");
    expect(csv).not.toMatch(/9161230\d{3}/);
    const injected = rows.find((r) => r[0] === String(seeded[1]!.id))!;
    expect(injected[6]).toBe("'=c…");
    const agentRow = rows.find((r) => r[5] === String(agent.id))!;
    expect(agentRow.slice(3, 5)).toEqual(["pending", `agent:${agent.id}`]);
  });

  it("'full' gives full phones and names for a longer period, and the journal records who took them", async () => {
    await say(app(), admin, "/export 30 full");
    const doc = await app().telegram.waitForMessage(admin.id, (m) => m.method === "sendDocument", WAIT);
    const [, ...rows] = parseCsv(doc.document!.content!.toString("utf8"));
    expect(rows).toHaveLength(14);
    expect(rows.map((r) => r[7])).toContain("'+7 916 123-00-01");
    // The name a customer typed as a spreadsheet formula stays text.
    expect(rows.find((r) => r[0] === String(seeded[1]!.id))![6]).toBe("'=cmd|' /C calc'!A0");
    const [exported] = await app().app.store.events.recent(1, 0, { kinds: ["export"] });
    expect(exported?.actor).toBe(`admin:${admin.id}`);
    expect(JSON.parse(exported!.detail!)).toEqual({ code: "export", leads: 14, days: 30, full: true });
    // Each admin reads it in their own language: when and what, who, and the detail (the entry under the header).
    const logEntry = (locale: string) =>
      [
        `${formatLocalTime(exported!.at, "DD.MM hh:mm")} ${textOf("logs-kind", { kind: "export" }, locale)}`,
        textOf("actor-admin", { id: String(admin.id) }, locale),
        textOf("logs-detail-export", { leads: 14, days: 30, full: "yes" }, locale),
      ].join("\n");
    expect(plain(await say(app(), admin, "/logs 1")).split("\n\n")[1]).toBe(logEntry("en"));
    expect(plain(await say(app(), secondAdmin, "/logs 1")).split("\n\n")[1]).toBe(logEntry("ru"));
    expect(plain(await say(app(), admin, "/export soon"))).toBe(en("export-usage"));
  });
});

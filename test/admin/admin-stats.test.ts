import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHART_COLOURS, chartLayout } from "../../src/admin/chart.js";
import { startOfDay } from "../../src/admin/format.js";
import type { LeadRecord } from "../../src/store/types.js";
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

describe("/stats", () => {
  it("shows today and the last 7 days by outcome and source, success, latency and the queue", async () => {
    const text = plain(await say(app(), admin, "/stats"));
    const [today, week, queue] = text.split("\n\n");
    expect(today).toBe(
      [
        "📊 Today: 6 leads",
        "✅ 4 delivered · ⏳ 1 waiting · ❌ 1 failed · ⛔ 0 rejected · 🔁 1 duplicate",
        "Delivered to Brainysoft: 80% of the finished ones",
        `Sources: customer — 4, agent ${agent.id} — 1, link spring_promo — 1`,
        "Brainysoft: p50 200 ms, p95 400 ms (4 calls)",
      ].join("\n"),
    );
    expect(week).toBe(
      [
        "📊 Last 7 days: 9 leads",
        "✅ 6 delivered · ⏳ 1 waiting · ❌ 1 failed · ⛔ 1 rejected · 🔁 1 duplicate",
        "Delivered to Brainysoft: 75% of the finished ones",
        `Sources: customer — 5, link spring_promo — 3, agent ${agent.id} — 1`,
        "Brainysoft: p50 300 ms, p95 2000 ms (6 calls)",
      ].join("\n"),
    );
    expect(queue).toMatch(/^📬 Queue: 1 waiting, the oldest for (\d+ s|1 min); 1 failed for good \(\/pending\)$/);
  });

  it("sends a PNG chart whose bars measure the leads of each day", async () => {
    await say(app(), admin, "/stats");
    const photo = await app().telegram.nextMessage(admin.id, WAIT);
    expect(photo.method).toBe("sendPhoto");
    expect(photo.caption).toMatch(/Leads per day/);
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
    expect(text.split("\n")[0]).toBe("⏳ Waiting: 1 · ❌ failed: 1 · ⛔ rejected: 1");
    expect(text).toMatch(new RegExp(`#${pending.id} ⏳ .+ ago · 1 attempt · transient\\n\\+7 916 \\*\\*\\*-\\*\\*-05 · agent ${agent.id}`));
    expect(text).toMatch(new RegExp(`#${failed.id} ❌ .+ ago · 1 attempt · transient\\n\\+7 916 \\*\\*\\*-\\*\\*-06 · customer`));
    expect(text).toContain(`#${rejected.id} ⛔`);
    expect(text).not.toContain("79161230006");
    expect(list.reply_markup.inline_keyboard[0][0]).toMatchObject({ callback_data: "retry:all" });

    expect(plain(await say(app(), admin, `/retry ${failed.id}`))).toBe("🔄 Sending 1 lead to Brainysoft…");
    const done = plain(await app().telegram.nextMessage(admin.id, WAIT));
    const [sent] = app().crm.created;
    expect(done).toBe(`Lead #${failed.id}: ✅ delivered, No. ${sent?.id}.`);
    expect(sent?.body).toEqual({ firstName: "Мария", mobilePhone: "79161230006" });
    expect(await app().app.store.leads.get(failed.id)).toMatchObject({ state: "delivered", brainysoftId: sent?.id });
    const [retried] = await app().app.store.events.recent(1, 0, { kinds: ["retried"] });
    expect(retried).toMatchObject({ actor: `admin:${admin.id}`, leadId: failed.id });
  });

  it("the button sends every waiting and failed lead again; a delivered one needs nothing", async () => {
    const list = await say(app(), admin, "/pending");
    app().telegram.pressButton(admin, list, "retry:all");
    expect(plain(await app().telegram.nextMessage(admin.id, WAIT))).toBe("🔄 Sending 2 leads to Brainysoft…");
    expect(plain(await app().telegram.nextMessage(admin.id, WAIT))).toBe(
      "Sent again: 2. ✅ Delivered: 2 · ⏳ still waiting: 0 · ❌ failed or rejected: 0.",
    );
    expect(
      app()
        .crm.created.map((c) => c.body.mobilePhone)
        .sort(),
    ).toEqual(["79161230005", "79161230006"]);
    const delivered = seeded[0]!;
    expect(plain(await say(app(), admin, `/retry ${delivered.id}`))).toBe(
      `Lead #${delivered.id} needs nothing: it is in Brainysoft as No. ${delivered.brainysoftId}.`,
    );
    expect(plain(await say(app(), admin, "/retry 999999"))).toBe("There is no lead #999999.");
    expect(plain(await say(app(), admin, "/retry"))).toMatch(/^Usage: \/retry ID/);
    expect(plain(await say(app(), admin, "/pending"))).toMatch(/^⏳ Waiting: 0 · ❌ failed: 0 · ⛔ rejected: 1/);
  });
});

describe("/export", () => {
  it("sends the week's leads as CSV with masked phones and names, formulas defused", async () => {
    await say(app(), admin, "/export");
    const doc = await app().telegram.waitForMessage(admin.id, (m) => m.method === "sendDocument", WAIT);
    expect(doc.document?.filename).toMatch(/^leads-\d{4}-\d{2}-\d{2}-7d\.csv$/);
    expect(doc.caption).toBe("9 leads, last 7 days; phones masked (/export 7 full for full ones).");
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
    // Each admin reads it in their own language.
    expect(plain(await say(app(), admin, "/logs 1"))).toMatch(new RegExp(`📤 export\nadmin ${admin.id}\n14 leads, 30 days, phones full$`));
    expect(plain(await say(app(), secondAdmin, "/logs 1"))).toMatch(
      new RegExp(`📤 выгрузка\nадмин ${admin.id}\nзаявок: 14, дней: 30, телефоны полностью$`),
    );
    expect(plain(await say(app(), admin, "/export soon"))).toMatch(/^Usage: \/export/);
  });
});

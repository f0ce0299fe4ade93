import { Composer, InputFile } from "grammy";
import { renderLeadsChart } from "../../admin/chart.js";
import { formatDuration, sourceLabel, trOf, type Tr } from "../../admin/format.js";
import { collectStats, type PeriodStats } from "../../admin/stats.js";
import { escapeHtml } from "../../html.js";
import type { Store } from "../../store/types.js";
import type { BotContext } from "../context.js";
import { noteUpdate } from "../update-notes.js";
import { isAdmin } from "./admin-guard.js";

function formatPeriod(title: string, p: PeriodStats, t: Tr): string {
  const lines = [
    t("stats-period", {
      title,
      leads: p.leads,
      delivered: p.byState.delivered,
      waiting: p.byState.pending,
      failed: p.byState.failed,
      rejected: p.byState.rejected,
      duplicates: p.duplicates,
    }),
    p.successRate === undefined ? t("stats-success-none") : t("stats-success", { percent: Math.round(p.successRate * 100) }),
  ];
  if (p.bySource.length > 0) {
    const items = p.bySource.map(({ source, count }) => t("stats-source-item", { source: escapeHtml(sourceLabel(source, t)), count }));
    lines.push(t("stats-sources", { list: items.join(", ") }));
  }
  // Milliseconds as strings: "2000 ms" reads better than a grouped "2,000 ms" next to "85 ms".
  const latency = p.latency && { p50: String(p.latency.p50), p95: String(p.latency.p95), calls: p.latency.calls };
  lines.push(latency ? t("stats-latency", latency) : t("stats-latency-none"));
  return lines.join("\n");
}

/** /stats: today and the last 7 days, the queue, and a chart of leads per day. */
export function adminStatsFeature(deps: { store: Pick<Store, "leads" | "events">; now?: () => number }): Composer<BotContext> {
  const now = deps.now ?? Date.now;
  const feature = new Composer<BotContext>();
  feature
    .chatType("private")
    .filter(isAdmin)
    .command("stats", async (ctx) => {
      noteUpdate(ctx, "stats");
      const t = trOf(ctx);
      const at = now();
      const stats = await collectStats(deps.store, at);
      const { pending, failed, oldestPendingAt } = stats.queue;
      const queue =
        oldestPendingAt === undefined
          ? t("stats-queue", { pending, failed })
          : t("stats-queue-oldest", { pending, failed, oldest: formatDuration(at - oldestPendingAt, t) });
      const text = [formatPeriod(t("stats-today"), stats.today, t), formatPeriod(t("stats-week"), stats.week, t), queue].join("\n\n");
      await ctx.reply(text);
      const chart = renderLeadsChart(stats.perDay);
      await ctx.replyWithPhoto(new InputFile(chart, "leads-per-day.png"), { caption: t("stats-chart-caption") });
    });
  return feature;
}

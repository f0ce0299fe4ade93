import { LeanComposer } from "../lean-composer.js";
import { type Composer, GrammyError, InlineKeyboard, InputFile } from "grammy";
import { renderLeadsChart } from "../../admin/chart.js";
import { formatDuration, sourceLabel, trOf, type SourceOf, type Tr } from "../../admin/format.js";
import { addPageButtons, ellipsize, pageOf, visibleLength } from "../../admin/pages.js";
import { collectStats, collectWeekSources, type PeriodStats } from "../../admin/stats.js";
import { escapeHtml } from "../../html.js";
import type { Store } from "../../store/types.js";
import { callbackData, digits } from "../callback-data.js";
import type { BotContext } from "../context.js";
import { noteUpdate } from "../update-notes.js";
import { isAdmin } from "./admin-guard.js";

/** Sources /stats names per period; the rest are behind the "All sources" button, in pages. */
const SOURCES_SHOWN = 8;
const LABEL_LENGTH = 32;
const SOURCES_PER_PAGE = 30;
/** The button under /stats opens the full list in a message of its own; « » turn that message's pages. */
const OPEN_SOURCES = callbackData("sources", {});
const SOURCES_PAGE = callbackData("sources", { index: digits(4) });

/** Page `index` of the week's sources, each in full, most leads first. */
function sourcesPage(
  sources: ReadonlyArray<{ source: SourceOf; count: number }>,
  index: number,
  t: Tr,
): { text: string; keyboard: InlineKeyboard | undefined } {
  if (sources.length === 0) return { text: t("sources-empty"), keyboard: undefined };
  const leads = sources.reduce((sum, s) => sum + s.count, 0);
  const header = t("sources-header", { sources: sources.length, leads });
  const line = (s: { source: SourceOf; count: number }) =>
    t("stats-source-item", { source: escapeHtml(sourceLabel(s.source, t)), count: s.count });
  const page = pageOf(sources, index, { perPage: SOURCES_PER_PAGE, frame: visibleLength(header) + 40, separator: "\n", render: line });
  const position = page.pages > 1 ? [t("paging-position", { page: page.index + 1, pages: page.pages })] : [];
  const keyboard = new InlineKeyboard();
  addPageButtons(keyboard, page, (index) => SOURCES_PAGE.pack({ index }), t);
  return {
    text: [[header, ...position].join("\n"), page.items.map(line).join("\n")].join("\n\n"),
    keyboard: keyboard.inline_keyboard[0]?.length ? keyboard : undefined,
  };
}

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
    // The first few, each label cut short: a week of sixty 64-character deep links would not fit a message.
    const items = p.bySource
      .slice(0, SOURCES_SHOWN)
      .map(({ source, count }) => t("stats-source-item", { source: escapeHtml(ellipsize(sourceLabel(source, t), LABEL_LENGTH)), count }));
    const more = p.bySource.length - SOURCES_SHOWN;
    if (more > 0) items.push(t("stats-sources-more", { count: more }));
    lines.push(t("stats-sources", { list: items.join(", ") }));
  }
  // Milliseconds as strings: "2000 ms" reads better than a grouped "2,000 ms" next to "85 ms".
  const latency = p.latency && { p50: String(p.latency.p50), p95: String(p.latency.p95), calls: p.latency.calls };
  lines.push(latency ? t("stats-latency", latency) : t("stats-latency-none"));
  return lines.join("\n");
}

/** /stats: today and the last 7 days, the queue, a chart of leads per day, and every source in pages. */
export function adminStatsFeature(deps: { store: Pick<Store, "leads" | "events">; now?: () => number }): Composer<BotContext> {
  const now = deps.now ?? Date.now;
  const feature = new LeanComposer<BotContext>();
  const admins = feature.chatType("private").filter(isAdmin);
  admins.command("stats", async (ctx) => {
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
    // The full list is worth a button when /stats left a source out or cut its name short.
    const week = stats.week.bySource;
    const more = week.length > SOURCES_SHOWN || week.some(({ source }) => sourceLabel(source, t).length > LABEL_LENGTH);
    await ctx.reply(text, more ? { reply_markup: new InlineKeyboard().text(t("stats-all-sources"), OPEN_SOURCES.pack({})) } : {});
    const chart = renderLeadsChart(stats.perDay);
    await ctx.replyWithPhoto(new InputFile(chart, "leads-per-day.png"), { caption: t("stats-chart-caption") });
  });

  admins.callbackQuery(OPEN_SOURCES.filter, async (ctx) => {
    noteUpdate(ctx, "sources page first");
    const page = sourcesPage(await collectWeekSources(deps.store, now()), 0, trOf(ctx));
    await ctx.answerCallbackQuery();
    await ctx.reply(page.text, page.keyboard ? { reply_markup: page.keyboard } : {});
  });

  admins.callbackQuery(SOURCES_PAGE.filter, async (ctx) => {
    const { index } = SOURCES_PAGE.read(ctx.match);
    noteUpdate(ctx, `sources page ${index}`);
    const page = sourcesPage(await collectWeekSources(deps.store, now()), index, trOf(ctx));
    await ctx.answerCallbackQuery();
    try {
      await ctx.editMessageText(page.text, { reply_markup: page.keyboard ?? { inline_keyboard: [] } });
    } catch (error) {
      // A double tap asks for the page already shown; Telegram refuses an edit to the same content.
      if (!(error instanceof GrammyError && /message is not modified/.test(error.description))) throw error;
    }
  });
  return feature;
}

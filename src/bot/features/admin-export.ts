import { Composer, InputFile } from "grammy";
import { toCsv } from "../../admin/csv.js";
import { formatLocalTime, startOfDay } from "../../admin/format.js";
import { codedDetail } from "../../admin/journal.js";
import { shortenName } from "../../logger.js";
import { formatPhone, maskPhone } from "../../phone.js";
import type { LeadRecord, Store } from "../../store/types.js";
import type { BotContext } from "../context.js";
import { noteUpdate } from "../update-notes.js";
import { isAdmin } from "./admin-guard.js";

const DEFAULT_DAYS = 7;

const EXPORT_COLUMNS = [
  "lead", "brainysoft_number", "created_at", "state", "source", "agent_id", "first_name", "phone", "attempts", "last_error",
] as const;

/** "/export", "/export 30", "/export 30 full", "/export full". */
export function parseExportArgs(text: string): { days: number; full: boolean } | undefined {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const full = words.at(-1) === "full";
  if (full) words.pop();
  if (words.length === 0) return { days: DEFAULT_DAYS, full };
  if (words.length > 1 || !/^\d{1,4}$/.test(words[0]!)) return undefined;
  const days = Number(words[0]);
  return days >= 1 && days <= 3650 ? { days, full } : undefined;
}

/** One row per lead; personal data masked unless `full`. */
function leadsCsv(leads: readonly LeadRecord[], full: boolean): string {
  return toCsv([
    EXPORT_COLUMNS,
    ...leads.map((l) => [
      l.id,
      l.brainysoftId,
      formatLocalTime(l.createdAt, "YYYY-MM-DD hh:mm:ss"),
      l.state,
      l.source,
      l.agentId,
      full ? l.firstName : shortenName(l.firstName),
      full ? formatPhone(l.phone) : maskPhone(l.phone),
      l.attempts,
      l.lastError,
    ]),
  ]);
}

/** /export [days] [full]: the leads created in the last days as a CSV document, phones masked unless "full". */
export function adminExportFeature(deps: { store: Pick<Store, "leads" | "events">; now?: () => number }): Composer<BotContext> {
  const now = deps.now ?? Date.now;
  const feature = new Composer<BotContext>();
  feature
    .chatType("private")
    .filter(isAdmin)
    .command("export", async (ctx) => {
      const request = parseExportArgs(ctx.match);
      if (!request) {
        await ctx.reply(ctx.t("export-usage"));
        return;
      }
      const at = now();
      // "7 days" = today and the six days before, as in /stats.
      const from = startOfDay(at, request.days - 1);
      const leads = await deps.store.leads.listCreatedBetween(from, at + 1);
      noteUpdate(ctx, `export ${request.days}d ${request.full ? "full" : "masked"} ${leads.length}`);
      // Full phones leave the bot in a file: the journal keeps who took them.
      await deps.store.events.record({
        at,
        kind: "export",
        actor: `admin:${ctx.from.id}`,
        detail: codedDetail({ code: "export", leads: leads.length, days: request.days, full: request.full }),
      });
      if (leads.length === 0) {
        await ctx.reply(ctx.t("export-empty", { days: request.days }));
        return;
      }
      const name = `leads-${formatLocalTime(at, "YYYY-MM-DD")}-${request.days}d.csv`;
      await ctx.replyWithDocument(new InputFile(Buffer.from(leadsCsv(leads, request.full), "utf8"), name), {
        caption: ctx.t("export-caption", { count: leads.length, days: request.days, full: request.full ? "yes" : "no" }),
      });
    });
  return feature;
}

import { LeanComposer } from "../lean-composer.js";
import { type Composer, GrammyError, InlineKeyboard } from "grammy";
import { formatLocalTime, trOf, type Tr } from "../../admin/format.js";
import { detailText, ERROR_KINDS, LEAD_KINDS, SHOWN_KINDS } from "../../admin/journal.js";
import { ellipsize } from "../../admin/pages.js";
import { escapeHtml } from "../../html.js";
import type { EventJournal, LeadEvent } from "../../store/types.js";
import { callbackData, digits, type Field } from "../callback-data.js";
import type { BotContext } from "../context.js";
import { noteUpdate } from "../update-notes.js";
import { isAdmin } from "./admin-guard.js";

/** Events per message: ten two- or three-line entries stay well inside a phone screen's scroll and Telegram's 4096. */
const LOGS_PAGE = 10;
const DEFAULT_COUNT = 20;
const MAX_COUNT = 500;

/** "all", "errors", "leads" or "agent:<id>"; in callback data as "all", "errors", "leads", "a<id>". */
export type LogsFilter = "all" | "errors" | "leads" | `agent:${number}`;

export interface LogsRequest {
  count: number;
  filter: LogsFilter;
}

/** "/logs", "/logs 50", "/logs errors", "/logs 30 agent 42": undefined when it is none of these. */
export function parseLogsArgs(text: string): LogsRequest | undefined {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let count = DEFAULT_COUNT;
  if (words[0] !== undefined && /^\d{1,4}$/.test(words[0])) {
    count = Number(words.shift());
    if (count < 1 || count > MAX_COUNT) return undefined;
  }
  const [word, id, ...rest] = words;
  if (rest.length > 0) return undefined;
  if (word === undefined) return { count, filter: "all" };
  if ((word === "errors" || word === "leads") && id === undefined) return { count, filter: word };
  if (word === "agent" && id !== undefined && /^\d{1,16}$/.test(id)) return { count, filter: `agent:${Number(id)}` };
  return undefined;
}

function query(filter: LogsFilter): { kinds: readonly string[]; actor?: string } {
  if (filter === "errors") return { kinds: ERROR_KINDS };
  if (filter === "leads") return { kinds: LEAD_KINDS };
  if (filter === "all") return { kinds: SHOWN_KINDS };
  return { kinds: SHOWN_KINDS, actor: filter };
}

const filterField: Field<LogsFilter> = {
  pattern: "all|errors|leads|a\\d{1,16}",
  write: (filter) => (filter.startsWith("agent:") ? `a${filter.slice(6)}` : filter),
  read(code) {
    if (code === "all" || code === "errors" || code === "leads") return code;
    return `agent:${Number(code.slice(1))}`;
  },
};
/** A page of /logs: how many events were asked for, where the page starts, and which. */
const LOGS_PAGE_DATA = callbackData("logs", { count: digits(3), offset: digits(3), filter: filterField });

function actorLabel(actor: string, t: Tr): string {
  const [role, id = ""] = actor.split(":");
  if (role === "agent" || role === "admin") return t(`actor-${role}`, { id });
  return role === "customer" ? t("actor-customer") : t("actor-system");
}

/** Two lines (three with a detail): when and what, then who, from where and which phone. */
function formatEvent(e: LeadEvent, t: Tr): string {
  const lead = e.leadId !== undefined ? ` · #${e.leadId}` : "";
  const crm = e.brainysoftId !== undefined ? ` → <b>${e.brainysoftId}</b>` : "";
  const first = `<b>${formatLocalTime(e.at, "DD.MM hh:mm")}</b> ${t("logs-kind", { kind: e.kind })}${lead}${crm}`;
  const who = [actorLabel(e.actor, t)];
  // The deep link (or "agent:<id>", "brainysoft", "bot") adds to who did it, unless it says the same.
  if (e.source !== undefined && e.source !== "direct" && e.source !== e.actor) who.push(e.source);
  if (e.maskedPhone !== undefined) who.push(e.maskedPhone);
  const text = e.detail ? detailText(e.detail, t) : "";
  const detail = text ? `\n<code>${escapeHtml(ellipsize(text, 100))}</code>` : "";
  return `${first}\n<i>${escapeHtml(who.join(" · "))}</i>${detail}`;
}

/** One page of `count` newest events from `offset`, with buttons to the neighbouring pages. */
async function renderLogsPage(
  events: EventJournal,
  request: LogsRequest,
  offset: number,
  t: Tr,
): Promise<{ text: string; keyboard: InlineKeyboard | undefined }> {
  const size = Math.min(LOGS_PAGE, request.count - offset);
  // One more than shown tells whether an older page exists (within the count asked for).
  const page = size > 0 ? await events.recent(size + 1, offset, query(request.filter)) : [];
  const shown = page.slice(0, size);
  const filter = t("logs-filter", { filter: request.filter.startsWith("agent:") ? "agent" : request.filter, id: request.filter.slice(6) });
  if (shown.length === 0) return { text: t("logs-empty", { filter }), keyboard: undefined };
  const header = t("logs-header", { filter, count: request.count, from: offset + 1, to: offset + shown.length });
  const text = [header, ...shown.map((e) => formatEvent(e, t))].join("\n\n");
  const keyboard = new InlineKeyboard();
  const data = (offset: number) => LOGS_PAGE_DATA.pack({ count: request.count, offset, filter: request.filter });
  if (offset > 0) keyboard.text(t("logs-newer"), data(Math.max(0, offset - LOGS_PAGE)));
  if (page.length > size && offset + size < request.count) keyboard.text(t("logs-older"), data(offset + size));
  return { text, keyboard: keyboard.inline_keyboard[0]?.length ? keyboard : undefined };
}

/** /logs [N] [errors|leads|agent <id>]: the journal, newest first, paged with buttons. */
export function adminLogsFeature(deps: { events: EventJournal }): Composer<BotContext> {
  const feature = new LeanComposer<BotContext>();
  const admins = feature.chatType("private").filter(isAdmin);

  admins.command("logs", async (ctx) => {
    const request = parseLogsArgs(ctx.match);
    if (!request) {
      await ctx.reply(ctx.t("logs-usage"));
      return;
    }
    noteUpdate(ctx, `logs ${request.count} ${request.filter}`);
    const page = await renderLogsPage(deps.events, request, 0, trOf(ctx));
    await ctx.reply(page.text, page.keyboard ? { reply_markup: page.keyboard } : {});
  });

  admins.callbackQuery(LOGS_PAGE_DATA.filter, async (ctx) => {
    const asked = LOGS_PAGE_DATA.read(ctx.match);
    noteUpdate(ctx, `logs page from ${asked.offset}`);
    const page = await renderLogsPage(deps.events, asked, asked.offset, trOf(ctx));
    await ctx.answerCallbackQuery();
    try {
      // Without reply_markup the buttons would go: the last page keeps a way back.
      await ctx.editMessageText(page.text, { reply_markup: page.keyboard ?? { inline_keyboard: [] } });
    } catch (error) {
      // A double tap asks for the page already shown; Telegram refuses an edit to the same content.
      if (!(error instanceof GrammyError && /message is not modified/.test(error.description))) throw error;
    }
  });
  return feature;
}

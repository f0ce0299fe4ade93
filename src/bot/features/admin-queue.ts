import { LeanComposer } from "../lean-composer.js";
import { type Composer, GrammyError, InlineKeyboard } from "grammy";
import { formatDuration, sourceLabel, trOf, type Tr } from "../../admin/format.js";
import { addPageButtons, pageOf, visibleLength } from "../../admin/pages.js";
import { escapeHtml } from "../../html.js";
import type { LeadOutbox, RetryStarted } from "../../leads/outbox.js";
import { maskPhone } from "../../phone.js";
import type { LeadRecord, Store } from "../../store/types.js";
import { callbackData, digits } from "../callback-data.js";
import type { BotContext } from "../context.js";
import { noteUpdate } from "../update-notes.js";
import { isAdmin } from "./admin-guard.js";

/** Leads per page of /pending: ten two-line entries read well on a phone and stay far inside Telegram's 4096. */
const PER_PAGE = 10;
const RETRY_ALL = callbackData("retry:all", {});
const PAGE = callbackData("pending", { index: digits(4) });

export interface AdminQueueDeps {
  store: Pick<Store, "leads" | "events">;
  leads: Pick<LeadOutbox, "retryNow">;
  now?: () => number;
  /**
   * How long /retry waits for its attempts before it answers with what is known (default 5 s). The
   * rest go on in the background; the journal (/logs) and /pending show how they end.
   */
  answerWithinMs?: number | undefined;
}

/** Leads that need someone: waiting for Brainysoft, given up, or refused by it (not refusals the person corrected). */
async function stuckLeads(store: AdminQueueDeps["store"]): Promise<LeadRecord[]> {
  const leads = await store.leads.listByState(["pending", "failed", "rejected"], 1000);
  return leads.filter((l) => l.state !== "rejected" || !l.lastError?.startsWith("field-"));
}

function formatLead(lead: LeadRecord, at: number, t: Tr): string {
  const head = t("pending-line", {
    id: String(lead.id),
    state: lead.state,
    age: formatDuration(at - lead.createdAt, t),
    attempts: lead.attempts,
    error: lead.lastError ?? "none",
  });
  return `${head}\n<i>${escapeHtml(`${maskPhone(lead.phone)} · ${sourceLabel(lead, t)}`)}</i>`;
}

/** "/retry 15", "/retry #15 16", "/retry all". */
export function parseRetryArgs(text: string): number[] | "all" | undefined {
  const words = text
    .trim()
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (words.length === 1 && words[0] === "all") return "all";
  if (words.length === 0 || words.length > 50 || !words.every((w) => /^#?\d{1,12}$/.test(w))) return undefined;
  return [...new Set(words.map((w) => Number(w.replace("#", ""))))];
}

/** /pending lists the leads that need someone; /retry sends one, several or all of them again now. */
export function adminQueueFeature(deps: AdminQueueDeps): Composer<BotContext> {
  const now = deps.now ?? Date.now;
  const feature = new LeanComposer<BotContext>();
  const admins = feature.chatType("private").filter(isAdmin);
  const answerWithinMs = deps.answerWithinMs ?? 5_000;

  /** Page `index` of the leads that need someone, with « » and the button that sends them all again. */
  async function pendingPage(index: number, t: Tr): Promise<{ text: string; keyboard: InlineKeyboard | undefined }> {
    const leads = await stuckLeads(deps.store);
    if (leads.length === 0) return { text: t("pending-empty"), keyboard: undefined };
    const count = (state: string) => leads.filter((l) => l.state === state).length;
    const at = now();
    const header = t("pending-header", { waiting: count("pending"), failed: count("failed"), rejected: count("rejected") });
    const footer = t("pending-footer");
    // The frame: header, a position line, footer and the blank lines between them.
    const frame = visibleLength(header) + visibleLength(footer) + 40;
    const page = pageOf(leads, index, { perPage: PER_PAGE, frame, render: (lead) => formatLead(lead, at, t) });
    const position = page.pages > 1 ? [t("paging-position", { page: page.index + 1, pages: page.pages })] : [];
    const text = [header, ...position, ...page.items.map((lead) => formatLead(lead, at, t)), footer].join("\n\n");
    const keyboard = new InlineKeyboard();
    addPageButtons(keyboard, page, (index) => PAGE.pack({ index }), t);
    if (leads.some((l) => l.state !== "rejected")) {
      if (page.pages > 1) keyboard.row();
      keyboard.text(t("pending-retry-all"), RETRY_ALL.pack({}));
    }
    return { text, keyboard: keyboard.inline_keyboard.some((row) => row.length > 0) ? keyboard : undefined };
  }

  admins.command("pending", async (ctx) => {
    noteUpdate(ctx, "pending");
    const page = await pendingPage(0, trOf(ctx));
    await ctx.reply(page.text, page.keyboard ? { reply_markup: page.keyboard } : {});
  });

  admins.callbackQuery(PAGE.filter, async (ctx) => {
    const { index } = PAGE.read(ctx.match);
    noteUpdate(ctx, `pending page ${index}`);
    const page = await pendingPage(index, trOf(ctx));
    await ctx.answerCallbackQuery();
    try {
      // Without reply_markup the buttons would go: a list that emptied keeps none, on purpose.
      await ctx.editMessageText(page.text, { reply_markup: page.keyboard ?? { inline_keyboard: [] } });
    } catch (error) {
      // A double tap asks for the page already shown; Telegram refuses an edit to the same content.
      if (!(error instanceof GrammyError && /message is not modified/.test(error.description))) throw error;
    }
  });

  /** Why nothing was sent: the one lead named needs nothing or does not exist, or none is waiting or failed. */
  async function nothingToRetry(which: number[] | "all", t: Tr): Promise<string> {
    const [only, ...others] = which === "all" ? [] : which;
    if (only === undefined || others.length > 0) return t("retry-none");
    const lead = await deps.store.leads.get(only);
    return lead
      ? t("retry-not-needed", { id: String(only), state: lead.state, number: String(lead.brainysoftId ?? "") })
      : t("retry-not-found", { id: String(only) });
  }

  /** The ids of the retried leads whose attempt has ended within the wait. */
  async function settledWithin(started: RetryStarted[]): Promise<Set<number>> {
    const settled = new Set<number>();
    const all = Promise.all(started.map(({ lead, outcome }) => outcome.then(() => settled.add(lead.id))));
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, answerWithinMs)));
    await Promise.race([all, wait]);
    clearTimeout(timer);
    return settled;
  }

  async function retry(ctx: BotContext & { from: { id: number } }, which: number[] | "all"): Promise<void> {
    const t = trOf(ctx);
    // The outbox chooses: "all" is what waits or was given up; a lead Brainysoft refused goes again only when named.
    const started = await deps.leads.retryNow(which);
    if (started.length === 0) {
      await ctx.reply(await nothingToRetry(which, t));
      return;
    }
    noteUpdate(ctx, `retry ${started.length}`);
    const actor = `admin:${ctx.from.id}`;
    const at = now();
    for (const { lead } of started) {
      await deps.store.events.record({
        at,
        kind: "retried",
        actor,
        leadId: lead.id,
        source: lead.source,
        maskedPhone: maskPhone(lead.phone),
      });
    }
    await ctx.reply(t("retry-started", { count: started.length }));
    // A slow or silent Brainysoft must not hold this chat (nor a shutdown) for every lead's attempt.
    const settled = await settledWithin(started);
    const after = (await Promise.all(started.map(({ lead }) => deps.store.leads.get(lead.id)))).filter(
      (l): l is LeadRecord => l !== undefined && settled.has(l.id),
    );
    const sending = started.length - settled.size;
    const [first] = started;
    const [one] = after;
    if (first && started.length === 1) {
      await ctx.reply(
        one
          ? t("retry-one-done", {
              id: String(one.id),
              state: one.state,
              number: String(one.brainysoftId ?? ""),
              error: one.lastError ?? "—",
            })
          : t("retry-one-sending", { id: String(first.lead.id) }),
      );
      return;
    }
    const tally = (states: string[]) => after.filter((l) => states.includes(l.state)).length;
    const counts = {
      count: started.length,
      delivered: tally(["delivered"]),
      waiting: tally(["pending"]),
      failed: tally(["failed", "rejected"]),
    };
    await ctx.reply(sending === 0 ? t("retry-done", counts) : t("retry-so-far", { ...counts, sending }));
  }

  admins.command("retry", async (ctx) => {
    const which = parseRetryArgs(ctx.match);
    if (which === undefined) {
      await ctx.reply(ctx.t("retry-usage"));
      return;
    }
    await retry(ctx, which);
  });

  admins.callbackQuery(RETRY_ALL.filter, async (ctx) => {
    await ctx.answerCallbackQuery();
    await retry(ctx, "all");
  });
  return feature;
}

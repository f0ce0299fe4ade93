import { Composer, InlineKeyboard } from "grammy";
import { formatDuration, sourceLabel, type Tr } from "../../admin/format.js";
import { escapeHtml } from "../../html.js";
import type { LeadOutbox } from "../../leads/outbox.js";
import { maskPhone } from "../../phone.js";
import type { LeadRecord, Store } from "../../store/types.js";
import type { BotContext } from "../context.js";
import { noteUpdate } from "../update-notes.js";
import { isAdmin } from "./admin-guard.js";

const SHOWN = 30;
const RETRY_ALL = "retry:all";

export interface AdminQueueDeps {
  store: Pick<Store, "leads" | "events">;
  leads: Pick<LeadOutbox, "retryNow">;
  now?: () => number;
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
  const words = text.trim().toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (words.length === 1 && words[0] === "all") return "all";
  if (words.length === 0 || words.length > 50 || !words.every((w) => /^#?\d{1,12}$/.test(w))) return undefined;
  return [...new Set(words.map((w) => Number(w.replace("#", ""))))];
}

/** /pending lists the leads that need someone; /retry sends one, several or all of them again now. */
export function adminQueueFeature(deps: AdminQueueDeps): Composer<BotContext> {
  const now = deps.now ?? Date.now;
  const feature = new Composer<BotContext>();
  const admins = feature.chatType("private").filter(isAdmin);
  const tr = (ctx: BotContext): Tr => (key, vars) => ctx.t(key, vars);

  admins.command("pending", async (ctx) => {
    noteUpdate(ctx, "pending");
    const t = tr(ctx);
    const leads = await stuckLeads(deps.store);
    if (leads.length === 0) {
      await ctx.reply(t("pending-empty"));
      return;
    }
    const count = (state: string) => leads.filter((l) => l.state === state).length;
    const at = now();
    const lines = [
      t("pending-header", { waiting: count("pending"), failed: count("failed"), rejected: count("rejected") }),
      ...leads.slice(0, SHOWN).map((lead) => formatLead(lead, at, t)),
    ];
    if (leads.length > SHOWN) lines.push(t("pending-more", { count: leads.length - SHOWN }));
    lines.push(t("pending-footer"));
    const retryable = leads.some((l) => l.state !== "rejected");
    await ctx.reply(lines.join("\n\n"), retryable ? { reply_markup: new InlineKeyboard().text(t("pending-retry-all"), RETRY_ALL) } : {});
  });

  async function retry(ctx: BotContext & { from: { id: number } }, which: number[] | "all"): Promise<void> {
    const t = tr(ctx);
    // "all" is what waits or was given up; a lead Brainysoft refused goes again only when named.
    const candidates =
      which === "all"
        ? await deps.store.leads.listByState(["pending", "failed"], 1000)
        : (await Promise.all(which.map((id) => deps.store.leads.get(id)))).filter((l): l is LeadRecord => l !== undefined);
    const leads = candidates.filter((l) => l.state === "pending" || l.state === "failed" || l.state === "rejected");
    if (leads.length === 0) {
      const [only] = which === "all" ? [] : which;
      const single = which !== "all" && which.length === 1 && only !== undefined;
      const lead = single ? candidates[0] : undefined;
      await ctx.reply(
        !single
          ? t("retry-none")
          : lead
            ? t("retry-not-needed", { id: String(only), state: lead.state, number: String(lead.brainysoftId ?? "") })
            : t("retry-not-found", { id: String(only) }),
      );
      return;
    }
    noteUpdate(ctx, `retry ${leads.length}`);
    const actor = `admin:${ctx.from.id}`;
    for (const lead of leads) {
      await deps.store.events.record({ at: now(), kind: "retried", actor, leadId: lead.id, source: lead.source, maskedPhone: maskPhone(lead.phone) });
    }
    await ctx.reply(t("retry-started", { count: leads.length }));
    await deps.leads.retryNow(leads.map((l) => l.id));
    const after = (await Promise.all(leads.map((l) => deps.store.leads.get(l.id)))).filter((l): l is LeadRecord => l !== undefined);
    const tally = (states: string[]) => after.filter((l) => states.includes(l.state)).length;
    const [one] = after;
    if (after.length === 1 && one) {
      await ctx.reply(t("retry-one-done", { id: String(one.id), state: one.state, number: String(one.brainysoftId ?? ""), error: one.lastError ?? "—" }));
      return;
    }
    await ctx.reply(
      t("retry-done", { count: after.length, delivered: tally(["delivered"]), waiting: tally(["pending"]), failed: tally(["failed", "rejected"]) }),
    );
  }

  admins.command("retry", async (ctx) => {
    const which = parseRetryArgs(ctx.match);
    if (which === undefined) {
      await ctx.reply(ctx.t("retry-usage"));
      return;
    }
    await retry(ctx, which);
  });

  admins.callbackQuery(RETRY_ALL, async (ctx) => {
    await ctx.answerCallbackQuery();
    await retry(ctx, "all");
  });
  return feature;
}

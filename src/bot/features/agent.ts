import { LeanComposer } from "../lean-composer.js";
import type { Composer, Filter } from "grammy";
import type { Config } from "../../config.js";
import { escapeHtml } from "../../html.js";
import { pickLocale } from "../../i18n.js";
import {
  contactFromCard,
  contactsFromText,
  textHasPhone,
  type AgentInput,
  type AgentRefusal,
  type ContactCard,
} from "../../leads/agent-input.js";
import type { LeadOutbox } from "../../leads/outbox.js";
import { MAX_VCARD_BYTES, vcardTooLarge } from "../../leads/vcard.js";
import type { Logger } from "../../logger.js";
import type { BotContext } from "../context.js";
import { leadVars } from "../lead-text.js";

export interface AgentFeatureDeps {
  config: Pick<Config, "phone" | "defaultLocale">;
  leads: Pick<LeadOutbox, "submit">;
  log: Logger;
  /**
   * Quiet time after an agent's last contact card before the batch summary. Telegram delivers a dozen
   * forwarded cards as a dozen separate updates, so the end of a batch can only be told by a pause.
   */
  summaryDelayMs?: number | undefined;
  /** How long one contact waits for Brainysoft before its line says "queued" (default 3 s). */
  agentAnswerWithinMs?: number | undefined;
}

type Tally = "created" | "duplicates" | "queued" | "refused";
type Counts = Record<Tally, number>;
type PrivateMessage = Filter<BotContext, "message"> & { chat: { type: "private" } };

const zero = (): Counts => ({ created: 0, duplicates: 0, queued: 0, refused: 0 });
const total = (counts: Counts) => counts.created + counts.duplicates + counts.queued + counts.refused;
/**
 * An agent's list is handled one contact at a time, so a slow CRM must not hold each line for the whole
 * request time limit: after this the line says "queued" and the agent is told the number later. Once
 * one line (or card of a batch) is queued, the rest of it does not wait at all.
 */
const DEFAULT_AGENT_ANSWER_WITHIN_MS = 3_000;
// Telegram's limit is 4096 characters per message; a long pasted list is answered in several.
const MESSAGE_LIMIT = 4000;

/**
 * Call-center agents (and admins) hand contacts to the CRM: a contact card (shared, forwarded, or a
 * bare vCard) or text lines "name + phone". Each contact is answered with one line; a batch ends with
 * a summary. Installed before the customer conversation, so an agent's contact never starts or feeds
 * it; an agent who typed /start to try the customer flow keeps answering it with plain text and their
 * own contact, while forwarded messages and other people's cards stay agent leads.
 */
export function agentFeature(deps: AgentFeatureDeps): Composer<BotContext> {
  const feature = new LeanComposer<BotContext>();
  const batches = createContactBatches(deps.summaryDelayMs ?? 1_500, deps.log);
  const agents = feature.chatType("private").filter((ctx) => ctx.role === "agent" || ctx.role === "admin");
  const agentAnswerWithinMs = deps.agentAnswerWithinMs ?? DEFAULT_AGENT_ANSWER_WITHIN_MS;

  async function handIn(
    ctx: PrivateMessage,
    input: AgentInput,
    answerWithinMs = agentAnswerWithinMs,
  ): Promise<{ line: string; tally: Tally }> {
    if (!input.ok) {
      deps.log.info({ agent: ctx.from.id, refusal: input.refusal.kind }, "agent contact refused");
      return { tally: "refused", line: ctx.t("agent-refused", { label: escapeHtml(input.label), why: refusalText(ctx, input.refusal) }) };
    }
    const { contact } = input;
    const outcome = await deps.leads.submit(
      {
        chatId: ctx.chat.id,
        userId: ctx.from.id,
        firstName: contact.firstName,
        lastName: contact.lastName,
        phone: contact.phone,
        source: `agent:${ctx.from.id}`,
        actor: "agent",
        agentId: ctx.from.id,
        locale: pickLocale(ctx.from.language_code, deps.config.defaultLocale),
      },
      { answerWithinMs },
    );
    const vars = { ...leadVars(outcome.lead), name: escapeHtml([contact.firstName, contact.lastName].filter(Boolean).join(" ")) };
    switch (outcome.kind) {
      case "created":
        return { tally: "created", line: ctx.t("agent-created", vars) };
      case "duplicate":
        return {
          tally: "duplicates",
          line: ctx.t(outcome.lead.brainysoftId === undefined ? "agent-duplicate-pending" : "agent-duplicate", vars),
        };
      case "queued":
        return { tally: "queued", line: ctx.t("agent-queued", vars) };
      case "field-error":
        return { tally: "refused", line: ctx.t("agent-crm-refused", { ...vars, field: outcome.field }) };
      case "rejected":
        return { tally: "refused", line: ctx.t(outcome.lead.lastError === "unconfirmed" ? "agent-unconfirmed" : "agent-rejected", vars) };
    }
  }

  agents.on("message:contact", async (ctx, next) => {
    const card = ctx.message.contact;
    // Their own card, plain (not forwarded), while they try the customer flow: an answer to it.
    const ownCard = card.user_id === ctx.from.id && ctx.message.forward_origin === undefined;
    if (ownCard && inConversation(ctx)) return next();
    // No "typing" here: a dozen forwarded cards would double the calls, and each answer is quick.
    batches.arrived(ctx.chat.id);
    let tally: Tally | undefined;
    try {
      const wait = batches.queued(ctx.chat.id) ? 0 : agentAnswerWithinMs;
      const answer = vcardTooLarge(card.vcard)
        ? refuseLargeCard(ctx, card)
        : await handIn(ctx, contactFromCard(card, deps.config.phone), wait);
      tally = answer.tally;
      await ctx.reply(answer.line, { reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } });
    } finally {
      // Also when the card failed: the batch's timer must run again, or its summary would never come.
      batches.handled(ctx.chat.id, tally, (counts) => ctx.api.sendMessage(ctx.chat.id, summary(ctx, counts)));
    }
  });

  /** Not read at all, so that its size costs nothing: the agent is told why, with what the card shows outside it. */
  function refuseLargeCard(ctx: PrivateMessage, card: ContactCard): { line: string; tally: Tally } {
    deps.log.info({ agent: ctx.from.id, refusal: "vcard-too-large" }, "agent contact refused");
    const { label } = contactFromCard({ ...card, vcard: undefined }, deps.config.phone);
    const why = ctx.t("agent-vcard-too-large", { limitKb: MAX_VCARD_BYTES / 1024 });
    return { tally: "refused", line: ctx.t("agent-refused", { label: escapeHtml(label || "vCard"), why }) };
  }

  agents.on("message:text", async (ctx, next) => {
    const text = ctx.message.text;
    if (text.startsWith("/") || !textHasPhone(text)) return next();
    if (ctx.message.forward_origin === undefined && inConversation(ctx)) return next();
    await ctx.replyWithChatAction("typing").catch(() => undefined);
    // In order, one at a time: a number repeated further down the list is then a duplicate of the first.
    const counts = zero();
    const lines: string[] = [];
    let answerWithinMs = agentAnswerWithinMs;
    for (const input of contactsFromText(text, deps.config.phone)) {
      const { line, tally } = await handIn(ctx, input, answerWithinMs);
      counts[tally] += 1;
      lines.push(line);
      // Brainysoft is slow or down: the remaining lines are saved and queued at once instead of each
      // waiting its time (a long paste would hold the chat, and a shutdown, for minutes). Each is still
      // saved before the next, so a number repeated further down is still a duplicate.
      if (tally === "queued") answerWithinMs = 0;
    }
    if (lines.length > 1) lines.push(summary(ctx, counts));
    for (const chunk of chunks(lines)) {
      await ctx.reply(chunk, { reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } });
    }
  });
  return feature;
}

function inConversation(ctx: BotContext): boolean {
  return Object.keys(ctx.conversation.active()).length > 0;
}

function refusalText(ctx: BotContext, refusal: AgentRefusal): string {
  return refusal.kind === "phone"
    ? ctx.t("agent-refusal", { kind: "phone", reason: refusal.reason, country: refusal.country ?? "" })
    : ctx.t("agent-refusal", { kind: refusal.kind, reason: refusal.kind === "no-name" ? refusal.reason : "" });
}

function summary(ctx: BotContext, counts: Counts): string {
  return ctx.t("agent-summary", { total: total(counts), ...counts });
}

/** Lines joined into as few messages as fit Telegram's length limit. */
function chunks(lines: string[]): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of lines) {
    if (current !== "" && current.length + 1 + line.length > MESSAGE_LIMIT) {
      out.push(current);
      current = "";
    }
    current = current === "" ? line : `${current}\n${line}`;
  }
  if (current !== "") out.push(current);
  return out;
}

/**
 * Per agent chat: the tallies of contact cards since the last summary, and the timer that sends the
 * summary once no card has arrived for `quietMs`. A card that arrives stops the timer before it is
 * handled, so a slow CRM answer cannot split one batch in two. A single card needs no summary.
 */
function createContactBatches(quietMs: number, log: Logger) {
  const open = new Map<number, { counts: Counts; timer?: NodeJS.Timeout | undefined }>();
  return {
    arrived(chatId: number) {
      const batch = open.get(chatId);
      if (batch?.timer) clearTimeout(batch.timer);
      if (batch) batch.timer = undefined;
      else open.set(chatId, { counts: zero() });
    },
    /** Whether a card of the open batch was queued: the rest of it need not wait for Brainysoft either. */
    queued(chatId: number): boolean {
      return (open.get(chatId)?.counts.queued ?? 0) > 0;
    },
    /** A card's handling ended; `tally` is undefined when it failed, which counts nothing but ends the wait all the same. */
    handled(chatId: number, tally: Tally | undefined, announce: (counts: Counts) => Promise<unknown>) {
      const batch = open.get(chatId) ?? { counts: zero() };
      open.set(chatId, batch);
      if (tally) batch.counts[tally] += 1;
      if (batch.timer) clearTimeout(batch.timer);
      batch.timer = setTimeout(() => {
        open.delete(chatId);
        if (total(batch.counts) < 2) return;
        announce(batch.counts).catch((error: unknown) => log.warn({ err: error, chat: chatId }, "agent batch summary not sent"));
      }, quietMs);
      // A summary due while the bot shuts down is not worth keeping the process alive for.
      batch.timer.unref();
    },
  };
}

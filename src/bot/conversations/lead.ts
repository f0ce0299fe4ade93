import type { Conversation } from "@grammyjs/conversations";
import { InlineKeyboard, Keyboard } from "grammy";
import type { Config } from "../../config.js";
import { escapeHtml } from "../../html.js";
import { pickLocale } from "../../i18n.js";
import type { LeadCap } from "../../leads/daily-cap.js";
import type { LeadOutbox, SubmitOutcome } from "../../leads/outbox.js";
import { normalizeFirstName } from "../../name.js";
import { normalizePhone, type PhoneRules } from "../../phone.js";
import type { BotContext, InsideContext } from "../context.js";
import { duplicateMessage, leadVars } from "../lead-text.js";
import type { Role } from "../roles.js";

export const LEAD_CONVERSATION = "lead";

/** Arguments are stored with the conversation, so they are plain JSON. */
export interface LeadConversationArgs {
  /** Deep-link payload of /start, or "direct". */
  source: string;
  /** Digits of a phone the person already shared before the conversation started. */
  phone?: string | undefined;
  /**
   * The role of whoever started it (agents and admins may try the flow), for the daily cap. Missing in a
   * conversation saved by a build before this field: counted as a customer's.
   */
  role?: Role | undefined;
}

type LeadConversation = Conversation<BotContext, InsideContext>;

const CONSENT_DATA = "consent:yes";
const removeKeyboard = { remove_keyboard: true } as const;

export interface LeadConversationDeps {
  config: Pick<Config, "phone" | "privacyPolicyUrl" | "defaultLocale">;
  leads: Pick<LeadOutbox, "submit">;
  /** LEADS_PER_USER_PER_DAY; checked again right before each submit (the entry points check first). */
  leadCap?: LeadCap | undefined;
}

/**
 * The customer's path to a lead: consent (when configured), first name, phone, then the lead. The
 * function is replayed on every update, so everything that touches the outside world is inside
 * `conversation.external`.
 */
export function createLeadConversation(deps: LeadConversationDeps) {
  return async function lead(conversation: LeadConversation, ctx: InsideContext, args: LeadConversationArgs) {
    const consentAt = deps.config.privacyPolicyUrl ? await askConsent(conversation, ctx, deps.config.privacyPolicyUrl) : undefined;
    let firstName = await askName(conversation, ctx, "name-ask");
    let phone = args.phone ?? (await askPhone(conversation, ctx, firstName, "phone-ask", deps.config.phone));

    for (;;) {
      await ctx.replyWithChatAction("typing").catch(() => undefined);
      const from = ctx.from;
      const chatId = ctx.chat?.id;
      if (!from || chatId === undefined) return;
      const cap = deps.leadCap;
      const role = args.role ?? "customer";
      if (cap && (await turnedAwayAtCap(ctx, () => conversation.external(() => cap.reached(from.id, role))))) return;
      const outcome: SubmitOutcome = await conversation.external(() =>
        deps.leads.submit({
          chatId,
          userId: from.id,
          firstName,
          phone,
          source: args.source,
          actor: "customer",
          consentAt,
          locale: pickLocale(from.language_code, deps.config.defaultLocale),
        }),
      );
      if (outcome.kind === "field-error" && outcome.field === "firstName") {
        firstName = await askName(conversation, ctx, "name-ask-again");
      } else if (outcome.kind === "field-error") {
        phone = await askPhone(conversation, ctx, firstName, "phone-ask-again", deps.config.phone);
      } else {
        await ctx.reply(ctx.t(outcomeMessage(outcome, chatId), leadVars(outcome.lead)), {
          reply_markup: removeKeyboard,
        });
        return;
      }
    }
  };
}

function outcomeMessage(outcome: Exclude<SubmitOutcome, { kind: "field-error" }>, chatId: number): string {
  switch (outcome.kind) {
    case "created":
      return "lead-created";
    case "duplicate":
      return duplicateMessage(outcome.lead, chatId);
    case "queued":
      return "lead-queued";
    case "rejected":
      // Maybe created (Brainysoft answered without naming the lead): saved and held for a specialist.
      return outcome.lead.lastError === "unconfirmed" ? "lead-unconfirmed" : "lead-rejected";
  }
}

/**
 * LEADS_PER_USER_PER_DAY: tells the person when `reached` says they are at it, and returns true. Checked
 * by the entry points before any question and by the conversation again right before the submit.
 */
export async function turnedAwayAtCap(ctx: InsideContext, reached: () => Promise<boolean>): Promise<boolean> {
  if (!(await reached())) return false;
  await ctx.reply(ctx.t("lead-limit-reached"), { reply_markup: removeKeyboard });
  return true;
}

async function askConsent(conversation: LeadConversation, ctx: InsideContext, url: string): Promise<number> {
  const keyboard = new InlineKeyboard().text(ctx.t("consent-accept"), CONSENT_DATA);
  await ctx.reply(ctx.t("consent-ask", { url: escapeHtml(url) }), { reply_markup: keyboard });
  for (;;) {
    const answer = await conversation.wait();
    if (answer.callbackQuery?.data === CONSENT_DATA) {
      await answer.answerCallbackQuery({ text: answer.t("consent-accepted") }).catch(() => undefined);
      await answer.editMessageReplyMarkup().catch(() => undefined);
      return conversation.now();
    }
    await dismissButton(answer);
    await answer.reply(answer.t("consent-required"));
  }
}

async function askName(conversation: LeadConversation, ctx: InsideContext, question: "name-ask" | "name-ask-again"): Promise<string> {
  // The Telegram first name is offered as a one-tap answer only when it would itself be accepted.
  const suggestion = normalizeFirstName(ctx.from?.first_name ?? "");
  const reply_markup = suggestion.ok ? new Keyboard().text(suggestion.name).resized().oneTime() : removeKeyboard;
  const text = ctx.t(question, { suggested: suggestion.ok ? "yes" : "no" });
  await ctx.reply(text, { reply_markup });
  for (;;) {
    const answer = await conversation.wait();
    await dismissButton(answer);
    const typed = answer.message?.text;
    if (typed === undefined) {
      await answer.reply(`${answer.t("input-not-understood")} ${text}`, { reply_markup });
      continue;
    }
    const name = normalizeFirstName(typed);
    if (name.ok) return name.name;
    await answer.reply(answer.t("name-refused", { reason: name.reason }), { reply_markup });
  }
}

async function askPhone(
  conversation: LeadConversation,
  ctx: InsideContext,
  firstName: string,
  question: "phone-ask" | "phone-ask-again",
  rules: PhoneRules,
): Promise<string> {
  const reply_markup = new Keyboard().requestContact(ctx.t("phone-button")).resized().oneTime();
  const text = ctx.t(question, { name: escapeHtml(firstName) });
  await ctx.reply(text, { reply_markup });
  for (;;) {
    const answer = await conversation.wait();
    await dismissButton(answer);
    const contact = answer.message?.contact;
    const typed = answer.message?.text;
    if (contact && contact.user_id !== answer.from?.id) {
      // Telegram fills user_id itself, so a mismatch (or none) means someone else's card.
      await answer.reply(answer.t("phone-foreign-contact"), { reply_markup });
      continue;
    }
    if (!contact && (typed === undefined || typed.startsWith("/"))) {
      await answer.reply(`${answer.t("input-not-understood")} ${text}`, { reply_markup });
      continue;
    }
    const phone = contact
      ? normalizePhone(contact.phone_number, "own-contact", rules)
      : normalizePhone(typed ?? "", "typed", rules);
    if (phone.ok) return phone.digits;
    await answer.reply(answer.t("phone-refused", { reason: phone.reason, country: phone.country ?? "" }), { reply_markup });
  }
}

/** A stale button tapped mid-conversation must stop spinning; the answer itself is not essential. */
async function dismissButton(ctx: InsideContext): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
}

import type { Conversation } from "@grammyjs/conversations";
import { InlineKeyboard, Keyboard } from "grammy";
import type { Config } from "../../config.js";
import { escapeHtml } from "../../html.js";
import { pickLocale } from "../../i18n.js";
import type { LeadCap } from "../../leads/daily-cap.js";
import type { LeadOutbox } from "../../leads/outbox.js";
import { normalizeFirstName } from "../../name.js";
import type { PhoneFormats, PhoneResult, PhoneSource } from "../../phone.js";
import type { LeadRecord, NewLead } from "../../store/types.js";
import { callbackData } from "../callback-data.js";
import type { BotContext, InsideContext } from "../context.js";
import { duplicateMessage, isOwnLead, leadVars as varsOfLead } from "../lead-text.js";
import type { Role } from "../roles.js";

export const LEAD_CONVERSATION = "lead";

/**
 * Answers one conversation keeps after consent: a name and a phone, and one more each time Brainysoft
 * refuses one of them. Every update replays all that is kept, so at this many the conversation starts
 * over at the first question, with a notice, instead of growing (and slowing) without end. Answers it
 * refuses (a sticker, a wrong number) are never kept: they are skipped once answered.
 */
export const MAX_KEPT_ANSWERS = 8;

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

const CONSENT = callbackData("consent:yes", {});
const removeKeyboard = { remove_keyboard: true } as const;

export interface LeadConversationDeps {
  config: Pick<Config, "phone" | "privacyPolicyUrl" | "defaultLocale">;
  leads: Pick<LeadOutbox, "submit">;
  /** LEADS_PER_USER_PER_DAY; checked again right before each submit (the entry points check first). */
  leadCap?: LeadCap | undefined;
  /** The app's one reading per phone, shared with the journal. */
  phones: PhoneFormats;
  /** Runs a wait for Brainysoft without holding the update's work place (polling; default: just runs it). */
  waitAside?: (<T>(work: () => Promise<T>) => Promise<T>) | undefined;
}

/**
 * The customer's path to a lead: consent (when configured), first name, phone, then the lead. The
 * function is replayed from its start on every update, from a log of what it kept: everything that
 * touches the outside world is inside `conversation.external`, refused answers are skipped (not kept),
 * and buttons of other messages are passed on to the rest of the bot.
 */
export function createLeadConversation(deps: LeadConversationDeps) {
  const { phones } = deps;
  const waitAside = deps.waitAside ?? (<T>(work: () => Promise<T>) => work());
  const readPhone = (input: string, source: PhoneSource) => phones.normalize(input, source, deps.config.phone);
  return async function lead(conversation: LeadConversation, ctx: InsideContext, args: LeadConversationArgs) {
    const consentAt = deps.config.privacyPolicyUrl ? await askConsent(conversation, ctx, deps.config.privacyPolicyUrl) : undefined;
    // Where the conversation starts over: rewinding here forgets every answer kept since (not the consent).
    const beginning = conversation.checkpoint();
    let kept = 0;
    const ask = async (question: () => Promise<string>): Promise<string> => {
      if (kept === MAX_KEPT_ANSWERS) {
        await ctx.reply(ctx.t("conversation-restarted"));
        await conversation.rewind(beginning);
      }
      kept += 1;
      return question();
    };
    let firstName = await ask(() => nameAnswer(conversation, ctx, "name-ask"));
    let phone = args.phone ?? (await ask(() => phoneAnswer(conversation, ctx, firstName, "phone-ask", readPhone)));
    for (;;) {
      const lead = leadOf(ctx, { firstName, phone, source: args.source, consentAt }, deps.config.defaultLocale);
      if (!lead) return;
      const answer = await conversation.external(async (outside) => {
        // "Typing" while Brainysoft is asked rather than before: the lead is not held up by a Bot API call,
        // and the answer still comes after it (Telegram clears the action when a message arrives).
        const typing = outside.replyWithChatAction("typing").catch(() => undefined);
        try {
          // Brainysoft may take seconds: others' updates go on meanwhile.
          return await waitAside(() => handIn(deps, lead, args.role ?? "customer", phones.format));
        } finally {
          await typing;
        }
      });
      if (answer.kind === "tell") {
        await ctx.reply(ctx.t(answer.key, answer.vars), { reply_markup: removeKeyboard });
        return;
      }
      if (answer.field === "firstName") firstName = await ask(() => nameAnswer(conversation, ctx, "name-ask-again"));
      else phone = await ask(() => phoneAnswer(conversation, ctx, firstName, "phone-ask-again", readPhone));
    }
  };
}

/**
 * What the conversation keeps of a submit: the message to send, or the field Brainysoft refused. Plain
 * and small, as it is stored with the conversation (the lead record is not).
 */
type HandInAnswer =
  | { kind: "tell"; key: string; vars: { number: string; phone: string } }
  | { kind: "ask-again"; field: "firstName" | "mobilePhone" };

async function handIn(
  deps: LeadConversationDeps,
  lead: NewLead,
  role: Role,
  formatPhone: (digits: string) => string,
): Promise<HandInAnswer> {
  const leadVars = (record: LeadRecord) => varsOfLead(record, formatPhone);
  const tell = (key: string, vars = { number: "", phone: "" }): HandInAnswer => ({ kind: "tell", key, vars });
  if (await deps.leadCap?.reached(lead.userId, role)) return tell("lead-limit-reached");
  const outcome = await deps.leads.submit(lead);
  switch (outcome.kind) {
    case "created":
      return tell("lead-created", leadVars(outcome.lead));
    case "queued":
      return tell("lead-queued", leadVars(outcome.lead));
    case "rejected":
      // Maybe created (Brainysoft answered without naming the lead): saved and held for a specialist.
      return tell(outcome.lead.lastError === "unconfirmed" ? "lead-unconfirmed" : "lead-rejected", leadVars(outcome.lead));
    case "field-error":
      return { kind: "ask-again", field: outcome.field };
    case "duplicate": {
      if (isOwnLead(outcome.lead, lead.userId)) return tell(duplicateMessage(outcome.lead, lead.userId), leadVars(outcome.lead));
      // Someone else's lead: the neutral answer, without its number even as a variable; it costs a lead of the cap.
      await deps.leadCap?.countAnswer(lead.userId, role);
      return tell(duplicateMessage(outcome.lead, lead.userId), { number: "", phone: leadVars(outcome.lead).phone });
    }
  }
}

function leadOf(
  ctx: InsideContext,
  answers: Pick<NewLead, "firstName" | "phone" | "source" | "consentAt">,
  defaultLocale: LeadConversationDeps["config"]["defaultLocale"],
): NewLead | undefined {
  const from = ctx.from;
  const chatId = ctx.chat?.id;
  if (!from || chatId === undefined) return undefined;
  return { ...answers, chatId, userId: from.id, actor: "customer", locale: pickLocale(from.language_code, defaultLocale) };
}

/**
 * LEADS_PER_USER_PER_DAY at the entry points: tells the person when `reached` says they are at it, and
 * returns true, before any question. The conversation checks again right before its submit.
 */
export async function turnedAwayAtCap(ctx: InsideContext, reached: () => Promise<boolean>): Promise<boolean> {
  if (!(await reached())) return false;
  await ctx.reply(ctx.t("lead-limit-reached"), { reply_markup: removeKeyboard });
  return true;
}

/** A tap on a button of another message (an old one): not an answer, so the rest of the bot gets it. */
const isOtherButton = (ctx: InsideContext) => ctx.callbackQuery !== undefined && !CONSENT.filter.test(ctx.callbackQuery.data ?? "");

async function askConsent(conversation: LeadConversation, ctx: InsideContext, url: string): Promise<number> {
  const keyboard = new InlineKeyboard().text(ctx.t("consent-accept"), CONSENT.pack({}));
  await ctx.reply(ctx.t("consent-ask", { url: escapeHtml(url) }), { reply_markup: keyboard });
  const answer = await conversation
    .waitUnless(isOtherButton, { next: true })
    .andForCallbackQuery(CONSENT.filter, { otherwise: (other) => other.reply(other.t("consent-required")) });
  await answer.answerCallbackQuery({ text: answer.t("consent-accepted") }).catch(() => undefined);
  await answer.editMessageReplyMarkup().catch(() => undefined);
  return conversation.now();
}

type NameQuestion = "name-ask" | "name-ask-again";
type PhoneQuestion = "phone-ask" | "phone-ask-again";
/** An answer taken, or refused with what to tell the person. */
type Checked = { ok: true; value: string } | { ok: false; error: string };
const take = (value: string): Checked => ({ ok: true, value });
const refuse = (reply: string): Checked => ({ ok: false, error: reply });

/**
 * Asks `question`, then waits for an answer `check` takes. A refused answer is answered and skipped, so
 * the conversation keeps nothing of it.
 */
async function askUntil(
  conversation: LeadConversation,
  ctx: InsideContext,
  question: { text: string; reply_markup: Keyboard | typeof removeKeyboard },
  check: (answer: InsideContext) => Checked,
): Promise<string> {
  const { text, reply_markup } = question;
  await ctx.reply(text, { reply_markup });
  return conversation.form.build({
    validate: async (answer) => {
      // A tap on a button of an old message is no answer: the rest of the bot gets it (and stops its spinner).
      if (answer.callbackQuery) await conversation.skip({ next: true });
      return check(answer);
    },
    otherwise: (answer, reply) => answer.reply(reply, { reply_markup }),
  });
}

function nameAnswer(conversation: LeadConversation, ctx: InsideContext, key: NameQuestion): Promise<string> {
  // The Telegram first name is offered as a one-tap answer only when it would itself be accepted.
  const suggestion = normalizeFirstName(ctx.from?.first_name ?? "");
  const reply_markup = suggestion.ok ? new Keyboard().text(suggestion.name).resized().oneTime() : removeKeyboard;
  const text = ctx.t(key, { suggested: suggestion.ok ? "yes" : "no" });
  return askUntil(conversation, ctx, { text, reply_markup }, (answer) => {
    const typed = answer.message?.text;
    if (typed === undefined) return refuse(`${answer.t("input-not-understood")} ${text}`);
    const name = normalizeFirstName(typed);
    return name.ok ? take(name.name) : refuse(answer.t("name-refused", { reason: name.reason }));
  });
}

function phoneAnswer(
  conversation: LeadConversation,
  ctx: InsideContext,
  firstName: string,
  key: PhoneQuestion,
  readPhone: (input: string, source: PhoneSource) => PhoneResult,
): Promise<string> {
  const reply_markup = new Keyboard().requestContact(ctx.t("phone-button")).resized().oneTime();
  const text = ctx.t(key, { name: escapeHtml(firstName) });
  return askUntil(conversation, ctx, { text, reply_markup }, (answer) => {
    const contact = answer.message?.contact;
    const typed = answer.message?.text;
    // Telegram fills user_id itself, so a mismatch (or none) means someone else's card.
    if (contact && contact.user_id !== answer.from?.id) return refuse(answer.t("phone-foreign-contact"));
    if (!contact && (typed === undefined || typed.startsWith("/"))) return refuse(`${answer.t("input-not-understood")} ${text}`);
    const phone = contact ? readPhone(contact.phone_number, "own-contact") : readPhone(typed ?? "", "typed");
    return phone.ok ? take(phone.digits) : refuse(answer.t("phone-refused", { reason: phone.reason, country: phone.country ?? "" }));
  });
}

import { LeanComposer } from "../lean-composer.js";
import { createConversation } from "@grammyjs/conversations";
import type { Composer } from "grammy";
import { createPhoneFormats, type PhoneFormats } from "../../phone.js";
import type { BotContext } from "../context.js";
import { duplicateMessage, isOwnLead, leadVars } from "../lead-text.js";
import type { LeadRecord } from "../../store/types.js";
import {
  createLeadConversation,
  LEAD_CONVERSATION,
  turnedAwayAtCap,
  type LeadConversationArgs,
  type LeadConversationDeps,
} from "../conversations/lead.js";

/** Deep-link payloads (t.me/bot?start=spring_promo) become the lead's source; Telegram allows 64 of these characters. */
const DEEP_LINK = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The customer's way in: /start (at any step: it starts over), or their own contact shared without
 * /start, which starts the flow with the phone known.
 */
export interface LeadFeatureDeps extends Omit<LeadConversationDeps, "phones"> {
  /** The app's one reading per phone, shared with the journal (default: the feature's own). */
  phones?: PhoneFormats | undefined;
  /** A recent lead with this phone (within DUPLICATE_WINDOW), if any. */
  recentLead?: ((phone: string) => Promise<LeadRecord | undefined>) | undefined;
}

export function leadFeature(deps: LeadFeatureDeps): Composer<BotContext> {
  const feature = new LeanComposer<BotContext>();
  const phones = deps.phones ?? createPhoneFormats();
  // Told before any question, so that nobody types a name and a phone for a lead that cannot be taken.
  const capReached = (ctx: BotContext) =>
    turnedAwayAtCap(ctx, async () => deps.leadCap !== undefined && ctx.from !== undefined && deps.leadCap.reached(ctx.from.id, ctx.role));
  // Each chatType() call is its own branch at its own place in the chain, which the order below relies on.
  // Before the conversation, or an active one would take the /start as an answer.
  feature.chatType("private").command("start", async (ctx, next) => {
    await ctx.conversation.exitAll();
    await next();
  });
  feature.use(createConversation(createLeadConversation({ ...deps, phones }), { id: LEAD_CONVERSATION }));

  feature.chatType("private").command("start", async (ctx) => {
    const payload = ctx.match.trim();
    const args: LeadConversationArgs = { source: DEEP_LINK.test(payload) ? payload : "direct", role: ctx.role };
    if (await capReached(ctx)) return;
    await ctx.reply(ctx.t("start-greeting"), { reply_markup: { remove_keyboard: true } });
    await ctx.conversation.enter(LEAD_CONVERSATION, args);
  });

  feature.chatType("private").on("message:contact", async (ctx) => {
    const contact = ctx.message.contact;
    if (contact.user_id !== ctx.from.id) {
      await ctx.reply(`${ctx.t("phone-foreign-contact")}\n\n${ctx.t("fallback-pointer")}`);
      return;
    }
    const phone = phones.normalize(contact.phone_number, "own-contact", deps.config.phone);
    if (!phone.ok) {
      await ctx.reply(ctx.t("phone-refused", { reason: phone.reason, country: phone.country ?? "" }));
      return;
    }
    // A second tap on "share my number" after the lead was made: answer it, don't ask for a name again.
    // Only to the account that made it: for anyone else this is a new contact like any other, answered
    // neutrally once the conversation hands it in (lead-text.ts), so that this step reveals nothing.
    const recent = await deps.recentLead?.(phone.digits);
    if (recent && isOwnLead(recent, ctx.from.id)) {
      await ctx.reply(ctx.t(duplicateMessage(recent, ctx.from.id), leadVars(recent, phones.format)), {
        reply_markup: { remove_keyboard: true },
      });
      return;
    }
    const args: LeadConversationArgs = { source: "direct", phone: phone.digits, role: ctx.role };
    if (await capReached(ctx)) return;
    await ctx.conversation.enter(LEAD_CONVERSATION, args);
  });
  return feature;
}

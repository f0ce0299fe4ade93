import { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** Last in the chain: whatever nobody handled gets a short pointer instead of silence. */
export function fallbackFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").on("message", (ctx) => ctx.reply(ctx.t("fallback-pointer")));
  feature.chatType(["group", "supergroup"]).on("message", async (ctx) => {
    // Only answer when addressed, or the bot would talk over every message in the group.
    const text = ctx.message.text ?? "";
    if (text.startsWith("/") || text.includes(`@${ctx.me.username}`)) await ctx.reply(ctx.t("group-pointer"));
  });
  feature.on("callback_query", (ctx) => ctx.answerCallbackQuery());
  return feature;
}

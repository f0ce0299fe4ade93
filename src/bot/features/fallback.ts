import { LeanComposer } from "../lean-composer.js";
import type { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** Last in the chain: whatever nobody handled gets a short pointer instead of silence. */
export function fallbackFeature(): Composer<BotContext> {
  const feature = new LeanComposer<BotContext>();
  feature.chatType("private").on("message", (ctx) => ctx.reply(ctx.t("fallback-pointer")));
  feature.chatType(["group", "supergroup"]).on("message", async (ctx) => {
    // Only answer when addressed, or the bot would talk over every message in the group: a command Telegram
    // marked as one and not meant for another bot ("/start@other_bot"), or the bot's @name in any case.
    const text = ctx.message.text ?? "";
    const me = ctx.me.username.toLowerCase();
    const command = ctx.message.entities?.find((e) => e.type === "bot_command" && e.offset === 0);
    const target = command && text.slice(0, command.length).split("@")[1]?.toLowerCase();
    const addressed = (command !== undefined && (target === undefined || target === me)) || text.toLowerCase().includes(`@${me}`);
    if (addressed) await ctx.reply(ctx.t("group-pointer"));
  });
  feature.on("callback_query", (ctx) => ctx.answerCallbackQuery());
  return feature;
}

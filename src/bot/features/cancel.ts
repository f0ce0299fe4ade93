import { LeanComposer } from "../lean-composer.js";
import type { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** /cancel ends the conversation at any step; it sits before the conversation so it always wins. */
export function cancelFeature(): Composer<BotContext> {
  const feature = new LeanComposer<BotContext>();
  feature.chatType("private").command("cancel", async (ctx) => {
    const active = Object.keys(ctx.conversation.active()).length > 0;
    await ctx.conversation.exitAll();
    await ctx.reply(ctx.t(active ? "cancel-done" : "cancel-nothing"), { reply_markup: { remove_keyboard: true } });
  });
  return feature;
}

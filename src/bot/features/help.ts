import { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** /help works at any step and leaves a conversation where it was. */
export function helpFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").command("help", (ctx) => ctx.reply(ctx.t("help")));
  return feature;
}

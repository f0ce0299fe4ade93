import { LeanComposer } from "../lean-composer.js";
import type { Composer } from "grammy";
import type { BotContext } from "../context.js";
import type { Role } from "../roles.js";

const HELP: Record<Role, string> = { customer: "help", agent: "help-agent", admin: "help-admin" };

/** /help explains what the person's role can do; it works at any step and leaves a conversation where it was. */
export function helpFeature(): Composer<BotContext> {
  const feature = new LeanComposer<BotContext>();
  feature.chatType("private").command("help", (ctx) => ctx.reply(ctx.t(HELP[ctx.role])));
  return feature;
}

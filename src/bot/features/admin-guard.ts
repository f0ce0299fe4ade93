import { LeanComposer } from "../lean-composer.js";
import type { Composer } from "grammy";
import { MENU_COMMANDS } from "../command-menus.js";
import type { BotContext } from "../context.js";

/** The commands only admins have: their menu less what everyone's menu has (/start, /help, /cancel). */
const ADMIN_COMMANDS = MENU_COMMANDS.admin.filter(
  (command) => !MENU_COMMANDS.customer.includes(command) && !MENU_COMMANDS.agent.includes(command),
);

export const isAdmin = (ctx: BotContext): boolean => ctx.role === "admin";

/**
 * For anyone but an admin these commands do not exist, and they are told just that (with the way to
 * apply), at any step of a conversation; nothing hints that admins have them. In groups they are not
 * answered by the admin features at all, as the journal and the export hold personal data.
 */
export function adminCommandsRefused(): Composer<BotContext> {
  const feature = new LeanComposer<BotContext>();
  feature
    .chatType("private")
    .filter((ctx) => !isAdmin(ctx))
    .command(ADMIN_COMMANDS, (ctx) => ctx.reply(ctx.t("admin-no-such-command")));
  return feature;
}

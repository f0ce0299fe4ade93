/**
 * The "/" menu Telegram shows each person: customers see /start, /help, /cancel (the default scope);
 * agents and admins get their own list in their private chat (BotCommandScopeChat). Each role's menu is
 * a CommandGroup of @grammyjs/commands, set for ru and en (Telegram picks by the person's app language)
 * and once without a language, in the operator's default. The handlers are the features' own.
 */
import { CommandGroup, type SetMyCommandsParams } from "@grammyjs/commands";
import type { Api, Context } from "grammy";
import type { BotCommandScope } from "grammy/types";
import { LOCALES, type Locale, type Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import type { Role } from "./roles.js";

/** Commands in menu order. Descriptions are the locale keys `menu-<command>` (underscores as dashes). */
export const MENU_COMMANDS: Readonly<Record<Role, readonly string[]>> = {
  customer: ["start", "help", "cancel"],
  agent: ["start", "help", "cancel"],
  admin: ["stats", "logs", "pending", "retry", "export", "agents", "agent_add", "agent_remove", "start", "help", "cancel"],
};

/** What the menus are written in: the app's translations and the operator's default locale. */
export interface MenuText {
  t: Translate;
  defaultLocale: Locale;
}

/** A role's menu shown in `scope`: each command described in the default locale, and translated into each locale. */
function roleMenu(role: Role, scope: BotCommandScope, text: MenuText): CommandGroup<Context> {
  const group = new CommandGroup<Context>();
  for (const name of MENU_COMMANDS[role]) {
    const key = `menu-${name.replaceAll("_", "-")}`;
    const command = group.command(name, text.t(text.defaultLocale, key)).addToScope(scope);
    for (const locale of LOCALES) command.localize(locale, name, text.t(locale, key));
  }
  return group;
}

/** The lists the group stands for, one per scope and language (no language_code: the default-language one). */
function listsOf(group: CommandGroup<Context>): SetMyCommandsParams[] {
  const { scopes, uncompliantCommands } = group.toArgs();
  // The plugin's setCommands refuses these too: Telegram would answer BOT_COMMAND_INVALID.
  if (uncompliantCommands.length > 0) throw new Error(`menu commands Telegram refuses: ${JSON.stringify(uncompliantCommands)}`);
  return scopes;
}

async function setMenu(api: Api, group: CommandGroup<Context>): Promise<void> {
  // Not the plugin's setCommands: it sends every list at once, each command with its own `hasHandler` flag,
  // which is no Bot API field. Here one list after another, with BotCommand's fields only.
  for (const { scope, language_code, commands } of listsOf(group)) {
    await api.setMyCommands(
      commands.map(({ command, description }) => ({ command, description })),
      { scope, language_code },
    );
  }
}

/**
 * Sets the menu a person sees in their private chat with the bot for their role. A customer's own
 * lists are deleted, so the default (customer) menu applies again. Call it whenever a role changes.
 * Throws what Telegram answers (e.g. 400 "chat not found" for someone who never opened the bot).
 */
export async function refreshCommandMenu(api: Api, userId: number, role: Role, text: MenuText): Promise<void> {
  const chat: BotCommandScope = { type: "chat", chat_id: userId };
  if (role !== "customer") return setMenu(api, roleMenu(role, chat, text));
  // The plugin only sets lists; falling back to the default means deleting the chat's own, in each language.
  for (const { scope, language_code } of listsOf(roleMenu(role, chat, text))) await api.deleteMyCommands({ scope, language_code });
}

/** At start: the default menu for everyone, then each configured or added agent's and admin's own. */
export async function setupCommandMenus(
  api: Api,
  deps: MenuText & { adminIds: readonly number[]; agentIds: readonly number[]; log: Logger },
): Promise<void> {
  await setMenu(api, roleMenu("customer", { type: "default" }, deps));
  const people: Array<[number, Role]> = [
    ...deps.agentIds.filter((id) => !deps.adminIds.includes(id)).map((id): [number, Role] => [id, "agent"]),
    ...deps.adminIds.map((id): [number, Role] => [id, "admin"]),
  ];
  for (const [userId, role] of people) {
    await refreshCommandMenu(api, userId, role, deps).catch((error: unknown) => {
      // Someone listed who never opened the bot: their menu is set the next time roles change or the bot starts.
      deps.log.warn({ err: error, user: userId, role }, "could not set a command menu");
    });
  }
}

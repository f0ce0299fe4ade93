/**
 * The "/" menu Telegram shows each person: customers see /start, /help, /cancel (the default scope);
 * agents and admins get their own list in their private chat (BotCommandScopeChat). Each list is set
 * for ru and en (Telegram picks by the person's app language) and once without a language, in the
 * operator's default.
 */
import type { Api } from "grammy";
import type { BotCommand, LanguageCode } from "grammy/types";
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

function menuFor(role: Role, locale: Locale, t: Translate): BotCommand[] {
  return MENU_COMMANDS[role].map((command) => ({
    command,
    description: t(locale, `menu-${command.replaceAll("_", "-")}`),
  }));
}

/** No language code is Telegram's "any other language": the operator's default locale. */
const languages = (defaultLocale: Locale): Array<[LanguageCode | undefined, Locale]> => [
  [undefined, defaultLocale],
  ...LOCALES.map((l): [LanguageCode, Locale] => [l, l]),
];
const inLanguage = (language_code: LanguageCode | undefined) => (language_code === undefined ? {} : { language_code });

/**
 * Sets the menu a person sees in their private chat with the bot for their role. A customer's own
 * scope is deleted, so the default (customer) menu applies again. Call it whenever a role changes.
 * Throws what Telegram answers (e.g. 400 "chat not found" for someone who never opened the bot).
 */
export async function refreshCommandMenu(api: Api, userId: number, role: Role, text: MenuText): Promise<void> {
  const scope = { type: "chat" as const, chat_id: userId };
  for (const [language_code, locale] of languages(text.defaultLocale)) {
    if (role === "customer") await api.deleteMyCommands({ scope, ...inLanguage(language_code) });
    else await api.setMyCommands(menuFor(role, locale, text.t), { scope, ...inLanguage(language_code) });
  }
}

/** At start: the default menu for everyone, then each configured or added agent's and admin's own. */
export async function setupCommandMenus(
  api: Api,
  deps: MenuText & { adminIds: readonly number[]; agentIds: readonly number[]; log: Logger },
): Promise<void> {
  for (const [language_code, locale] of languages(deps.defaultLocale)) {
    await api.setMyCommands(menuFor("customer", locale, deps.t), { scope: { type: "default" }, ...inLanguage(language_code) });
  }
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

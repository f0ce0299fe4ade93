import type { Update } from "grammy/types";
import { MENU_COMMANDS } from "./command-menus.js";

/**
 * "What happened" for the one log line per update: features note it here, the update logger in
 * create-bot reads it. Keyed by the update object, so nothing outlives the update.
 */
const notes = new WeakMap<Update, string[]>();

export function noteUpdate(ctx: { update: Update }, what: string): void {
  const list = notes.get(ctx.update);
  if (list) list.push(what);
  else notes.set(ctx.update, [what]);
}

export function updateNotes(ctx: { update: Update }): string | undefined {
  return notes.get(ctx.update)?.join("; ");
}

/** Every command the bot has, in any role's menu. */
const KNOWN_COMMANDS: ReadonlySet<string> = new Set(Object.values(MENU_COMMANDS).flat());

/**
 * The command of a message as the update log names it: "/start" for one the bot has (its payload and
 * @botname left out), "unknown command" for anything else after a slash, which may be whatever the
 * person typed ("/+79776200777", "/Фридрих_Карлович"); undefined for a message that is no command.
 */
export function loggedCommand(text: string | undefined): string | undefined {
  if (text?.startsWith("/") !== true) return undefined;
  const name = text.slice(1).split(/[\s@]/)[0] ?? "";
  return KNOWN_COMMANDS.has(name) ? `/${name}` : "unknown command";
}

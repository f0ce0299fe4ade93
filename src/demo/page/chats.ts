import type { ReplyKeyboardMarkup } from "grammy/types";
import type { Persona } from "../personas.js";
import { el, fullName, initial } from "./dom.js";

const ROLE_NAMES: Record<Persona["role"], string> = { customer: "Customer", agent: "Agent", admin: "Admin" };
const LANGUAGES: Record<string, string> = { ru: "Russian", en: "English" };

export const roleName = (persona: Persona) => ROLE_NAMES[persona.role];

/** One persona's chat with the bot: its messages, its entry in the chat list and what the bot last set up in it. */
export interface Chat {
  persona: Persona;
  /** The chat's messages; only the open chat's list is shown. */
  list: HTMLDivElement;
  /** The persona in the chat list, and its unread count. */
  button: HTMLButtonElement;
  badge: HTMLSpanElement;
  /** The last record of the fake Telegram's chat log applied here. */
  seq: number;
  /** The bot's messages by message_id, for edits and deletions. */
  rows: Map<number, HTMLDivElement>;
  /** A reply keyboard stays until the bot replaces or removes it. */
  keyboard: ReplyKeyboardMarkup | undefined;
  keyboardHidden: boolean;
  unread: number;
  sentAnything: boolean;
  /** Which sample card the agent hands in next. */
  nextCard: number;
}

/** The chat's message list (appended to `messages`) and its entry (appended to `personas`). */
export function createChat(persona: Persona, messages: HTMLElement, personas: HTMLElement): Chat {
  const list = el("div", "message-list");
  list.dataset.chat = String(persona.user.id);
  messages.append(list);

  const button = el("button", "person");
  button.type = "button";
  button.dataset.persona = persona.key;
  const avatar = el("div", `avatar role-${persona.role}`, initial(persona.user.first_name));
  const who = el("div", "who");
  const code = persona.user.language_code ?? "";
  who.append(el("div", "name", fullName(persona.user)), el("div", "sub", `${roleName(persona)} · ${LANGUAGES[code] ?? code}`));
  const badge = el("span", "badge");
  badge.hidden = true;
  button.append(avatar, who, badge);
  const item = el("li");
  item.append(button);
  personas.append(item);

  return {
    persona,
    list,
    button,
    badge,
    seq: 0,
    rows: new Map(),
    keyboard: undefined,
    keyboardHidden: false,
    unread: 0,
    sentAnything: false,
    nextCard: 0,
  };
}

export function showBadge(chat: Chat): void {
  chat.badge.hidden = chat.unread === 0;
  chat.badge.textContent = String(chat.unread);
  chat.badge.classList.toggle("hot", chat.unread > 0);
}

/** The page's state: the chats by persona key, the open one, and whether the sandbox went away. */
export interface PageState {
  chats: Map<string, Chat>;
  active: Chat;
  stopped: boolean;
}

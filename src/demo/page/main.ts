/**
 * The sandbox page's script (bundled by ../page-bundle.ts): the people's side of Telegram chats with the
 * bot, played through the fake Telegram's control routes, and the CRM panel.
 */
import type { MessageRecord } from "../answers.js";
import { applyRecord } from "./bot-messages.js";
import { createChat, roleName, showBadge, type Chat, type PageState } from "./chats.js";
import { createCrmPanel } from "./crm-panel.js";
import { demoApi } from "./demo-api.js";
import { createToast, el, errorText, fullName, initial } from "./dom.js";
import { renderPersonaActions, renderReplyKeyboard } from "./keyboards.js";
import { installMenus } from "./menus.js";
import { createPerson } from "./person.js";
import { createPolling } from "./polling.js";
import { telegramHtml } from "./telegram-html.js";
import { findUi } from "./ui.js";

async function start(): Promise<void> {
  const ui = findUi();
  const info = await demoApi.info();
  ui.botName.textContent = info.bot.first_name;
  ui.botSub.textContent = `bot · @${info.bot.username ?? ""}`;
  ui.botAvatar.textContent = initial(info.bot.first_name);
  document.title = `${info.bot.first_name} · sandbox`;

  const chats = new Map(info.personas.map((persona) => [persona.key, createChat(persona, ui.messages, ui.personas)]));
  const first = chats.values().next();
  if (first.done) throw new Error("the sandbox has no personas");
  const state: PageState = { chats, active: first.value, stopped: false };

  const toast = createToast(ui.chat);
  const person = createPerson({
    toast,
    wrote: () => {
      renderChrome();
      scrollDown();
    },
  });
  const polling = createPolling(state, applyRecords);
  const closeMenus = installMenus({ ui, person, activeChat: () => state.active, toast });
  const panel = createCrmPanel(ui, info.faults, toast);

  function scrollDown(): void {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  /** The START button replaces the input in a chat that has nothing in it yet, as in Telegram. */
  function renderChrome(): void {
    const chat = state.active;
    const empty = chat.rows.size === 0 && !chat.sentAnything;
    ui.startBar.hidden = !empty;
    ui.composer.hidden = empty;
    const hint = chat.list.querySelector(".empty-chat");
    if (empty && !hint) {
      chat.list.append(el("div", "empty-chat", "No messages here yet. Tap START, as a person opening the bot for the first time does."));
    } else if (!empty && hint) hint.remove();
    renderReplyKeyboard(ui, chat, person);
  }

  function applyRecords(chat: Chat, records: MessageRecord[]): void {
    let added = 0;
    for (const record of records) {
      if (record.seq <= chat.seq) continue;
      chat.seq = record.seq;
      if (applyRecord(chat, record, (...press) => void person.pressInline(...press))) added++;
    }
    if (chat === state.active) {
      if (records.length > 0) {
        renderChrome();
        scrollDown();
      }
    } else if (added > 0) {
      chat.unread += added;
      showBadge(chat);
    }
  }

  function activate(chat: Chat): void {
    state.active = chat;
    for (const other of state.chats.values()) {
      other.list.classList.toggle("active", other === chat);
      other.button.setAttribute("aria-current", String(other === chat));
    }
    chat.unread = 0;
    showBadge(chat);
    ui.you.textContent = `you are ${fullName(chat.persona.user)}, ${roleName(chat.persona).toLowerCase()}`;
    closeMenus();
    renderPersonaActions(ui, chat, person);
    renderChrome();
    scrollDown();
    polling.restartActive();
    ui.text.focus();
  }

  for (const chat of chats.values()) chat.button.addEventListener("click", () => activate(chat));
  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.text.value.trim();
    if (!text) return;
    ui.text.value = "";
    void person.sendText(state.active, text);
  });
  ui.start.addEventListener("click", () => void person.sendText(state.active, "/start"));
  ui.toggleKeyboard.addEventListener("click", () => {
    state.active.keyboardHidden = !state.active.keyboardHidden;
    renderReplyKeyboard(ui, state.active, person);
  });

  // What each chat already holds (the page may be reloaded mid-conversation) counts as read.
  await Promise.all(
    [...chats.values()].map(async (chat) => {
      const data = await demoApi.messages(chat.persona.user.id, 0);
      applyRecords(chat, data.messages);
      chat.unread = 0;
      showBadge(chat);
    }),
  );
  activate(state.active);
  void polling.every(2000, polling.pollOthers);
  void polling.every(1500, panel.refreshCrm);
  void polling.every(2000, panel.refreshEvents);
}

// The browser test renders through the page's own renderer (test/demo/browser.test.ts).
Object.assign(window, { telegramHtml });

start().catch((error: unknown) => {
  document.body.append(el("div", "stopped", `The sandbox page could not start: ${errorText(error)}`));
});

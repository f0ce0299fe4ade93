/** What the bot sent, as the fake Telegram logged it, turned into chat bubbles. */
import type { MessageRecord, ReplyMarkup } from "../answers.js";
import type { Chat } from "./chats.js";
import { clock, el } from "./dom.js";
import { linkTo, telegramHtml } from "./telegram-html.js";

/** What pressing an inline button does (the button is passed so it can be disabled meanwhile). */
export type PressInline = (chat: Chat, messageId: number, data: string, button: HTMLButtonElement) => void;

/** Applies one record of the chat log; returns true for a new message. */
export function applyRecord(chat: Chat, record: MessageRecord, press: PressInline): boolean {
  const row = chat.rows.get(record.message_id);
  switch (record.method) {
    case "sendMessage":
    case "sendDocument":
    case "sendPhoto": {
      if (row || record.deleted) return false;
      const created = botRow(chat, record, press);
      chat.rows.set(record.message_id, created);
      chat.list.append(created);
      applyReplyMarkup(chat, record.reply_markup);
      return true;
    }
    case "editMessageText":
      if (row) {
        row.querySelector(".content")?.replaceChildren(content(record));
        const meta = row.querySelector(".meta");
        if (meta) meta.textContent = `edited ${clock(record.at)}`;
        setInlineKeyboard(chat, row, record, press);
      }
      return false;
    case "editMessageReplyMarkup":
      if (row) setInlineKeyboard(chat, row, record, press);
      return false;
    case "deleteMessage":
      if (row) {
        row.remove();
        chat.rows.delete(record.message_id);
      }
      return false;
    default:
      return false;
  }
}

function botRow(chat: Chat, record: MessageRecord, press: PressInline): HTMLDivElement {
  const row = el("div", "row bot");
  row.dataset.messageId = String(record.message_id);
  const bubble = el("div", "bubble");
  const body = el("span", "content");
  body.append(content(record));
  bubble.append(body, el("span", "meta", clock(record.at)));
  row.append(bubble);
  setInlineKeyboard(chat, row, record, press);
  return row;
}

function content(record: MessageRecord): DocumentFragment {
  const out = document.createDocumentFragment();
  if (record.document) {
    const file = el("div", "file");
    const name = record.document.filename || record.document.file_id || "file";
    file.append(
      el("span", "icon", record.method === "sendPhoto" ? "🖼" : "📄"),
      el("span", "", `${name} · ${formatSize(record.document.size)}`),
    );
    out.append(file);
  }
  const text = record.text ?? record.caption;
  if (text !== undefined) {
    if ((record.parse_mode ?? "").toLowerCase() === "html") out.append(telegramHtml(text));
    else out.append(document.createTextNode(text));
  }
  return out;
}

const formatSize = (bytes: number) => (bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`);

/** Reply keyboards stay until the bot replaces or removes them; inline ones belong to their message. */
function applyReplyMarkup(chat: Chat, markup: ReplyMarkup | undefined): void {
  if (!markup) return;
  if ("keyboard" in markup) {
    chat.keyboard = markup;
    chat.keyboardHidden = false;
  } else if ("remove_keyboard" in markup) {
    chat.keyboard = undefined;
  }
}

function setInlineKeyboard(chat: Chat, row: HTMLDivElement, record: MessageRecord, press: PressInline): void {
  row.querySelector(".inline-keyboard")?.remove();
  const markup = record.reply_markup;
  if (!markup || !("inline_keyboard" in markup)) return;
  const box = el("div", "inline-keyboard");
  for (const buttons of markup.inline_keyboard) {
    const line = el("div", "ik-row");
    for (const button of buttons) {
      if ("url" in button) {
        const link = el("a", "", `${button.text} ↗`);
        linkTo(link, button.url);
        line.append(link);
        continue;
      }
      const pressable = el("button", "", button.text);
      pressable.type = "button";
      if ("callback_data" in button) {
        const data = button.callback_data;
        pressable.addEventListener("click", () => press(chat, record.message_id, data, pressable));
      } else {
        pressable.disabled = true;
      }
      line.append(pressable);
    }
    box.append(line);
  }
  row.append(box);
}

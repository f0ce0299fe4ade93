/**
 * What Telegram checks in the content of a call, with its limits and words: text and captions counted
 * after entity parsing, parse_mode, inline keyboards and callback data, callback query answers.
 * Limits from the Bot API reference: a message text 1-4096 characters, a caption 0-1024,
 * callback_data 1-64 bytes, an answerCallbackQuery text 0-200 characters.
 */
import type { MessageEntity } from "grammy/types";
import { parseTelegramHtml, TelegramHtmlError } from "./fake-telegram-html.js";
import { bad, jsonParam, strParam, type Params } from "./fake-telegram-wire.js";

export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
export const CALLBACK_DATA_BYTES = 64;
export const CALLBACK_ANSWER_LIMIT = 200;

const INLINE_BUTTON_ACTIONS = [
  "callback_data",
  "url",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
];

export interface FormattedText {
  /** What the person sees: markup parsed, references decoded. */
  plain: string;
  entities?: MessageEntity[];
}

/** Applies parse_mode like Telegram; returns what the user sees. */
export function formatText(raw: string, parseMode: string | undefined, entities: unknown): FormattedText {
  // Entities given by the bot are kept as given: the fake does not check them.
  if (!parseMode) return Array.isArray(entities) ? { plain: raw, entities: entities as MessageEntity[] } : { plain: raw };
  switch (parseMode.toLowerCase()) {
    case "html":
      try {
        const parsed = parseTelegramHtml(raw);
        return parsed.entities.length ? { plain: parsed.text, entities: parsed.entities } : { plain: parsed.text };
      } catch (e) {
        if (e instanceof TelegramHtmlError) throw bad(`can't parse entities: ${e.message}`);
        throw e;
      }
    case "markdown":
    case "markdownv2":
      // Accepted as is: the fake does not check Markdown.
      return { plain: raw };
    default:
      throw bad("unsupported parse_mode");
  }
}

/** The `text` of sendMessage or editMessageText, parsed and held to Telegram's limits. */
export function messageText(p: Params): { raw: string; parseMode: string | undefined; formatted: FormattedText } {
  const raw = strParam(p, "text");
  if (!raw) throw bad("message text is empty");
  const parseMode = strParam(p, "parse_mode");
  const formatted = formatText(raw, parseMode, jsonParam(p, "entities", "can't parse entities JSON object"));
  if (formatted.plain.trim() === "") throw bad("message must be non-empty");
  // JavaScript counts UTF-16 code units, as Telegram counts entity offsets: an emoji counts twice.
  if (formatted.plain.length > TEXT_LIMIT) throw bad("message is too long");
  return { raw, parseMode, formatted };
}

/** The caption of a file, if any, parsed and held to Telegram's limit. */
export function captionText(p: Params): { raw: string; parseMode: string | undefined; formatted: FormattedText } | undefined {
  const raw = strParam(p, "caption");
  if (raw === undefined) return undefined;
  const parseMode = strParam(p, "parse_mode");
  const formatted = formatText(raw, parseMode, jsonParam(p, "caption_entities", "can't parse entities JSON object"));
  if (formatted.plain.length > CAPTION_LIMIT) throw bad("message caption is too long");
  return { raw, parseMode, formatted };
}

/** The notification text of answerCallbackQuery. */
export function checkCallbackAnswer(p: Params): void {
  const text = strParam(p, "text") ?? "";
  if (text.length > CALLBACK_ANSWER_LIMIT) throw bad("MESSAGE_TOO_LONG");
}

export function checkReplyMarkup(markup: unknown): void {
  if (markup === undefined || markup === null) return;
  if (typeof markup !== "object") throw bad("can't parse reply keyboard markup JSON object");
  const rows = (markup as { inline_keyboard?: unknown }).inline_keyboard; // an object, checked above
  if (rows === undefined) return;
  if (!Array.isArray(rows) || !rows.every(Array.isArray))
    throw bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
  const grid: readonly (readonly unknown[])[] = rows; // arrays of arrays, checked just above
  for (const row of grid) {
    for (const button of row) {
      if (!button || typeof button !== "object") throw bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
      const b = button as Record<string, unknown>; // an object, checked above
      if (typeof b.text !== "string") throw bad('can\'t parse inline keyboard button: Field "text" must be of type String');
      if (!INLINE_BUTTON_ACTIONS.some((k) => k in b)) throw bad("text buttons are unallowed in the inline keyboard");
      // Telegram allows 1-64 bytes of callback data; longer data is a classic bug that only shows in production.
      if ("callback_data" in b) {
        const size = typeof b.callback_data === "string" ? Buffer.byteLength(b.callback_data) : 0;
        if (size < 1 || size > CALLBACK_DATA_BYTES) throw bad("BUTTON_DATA_INVALID");
      }
    }
  }
}

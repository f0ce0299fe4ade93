import { autoRetry } from "@grammyjs/auto-retry";
import type { Transformer } from "grammy";

/**
 * Every text the bot sends is HTML (locale files use <b> and links), so it is the default rather than
 * something each call site can forget. Link previews would only clutter the chat.
 */
const htmlByDefault: Transformer = (prev, method, payload, signal) => {
  if ((method === "sendMessage" || method === "editMessageText") && !("parse_mode" in payload)) {
    return prev(method, { ...payload, parse_mode: "HTML", link_preview_options: { is_disabled: true } }, signal);
  }
  return prev(method, payload, signal);
};

/**
 * Transformers for every Api the bot uses: the bot's own and each one a conversation builds.
 * Auto-retry waits out Telegram's 429s but gives up on network errors, so an unreachable Bot API fails
 * instead of hanging a chat forever.
 */
export function apiTransformers(): Transformer[] {
  return [htmlByDefault, autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60, rethrowHttpErrors: true })];
}

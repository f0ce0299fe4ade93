import { autoRetry } from "@grammyjs/auto-retry";
import { HttpError, type Transformer } from "grammy";

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
 * A dropped connection is tried again twice, briefly: a blip must not cost a person the question they
 * were about to get (and the conversation with it), while an unreachable Bot API still fails within
 * seconds. A call whose answer alone was lost may reach Telegram twice; a repeated message is the lesser
 * harm. Long polls are left to the runner, and nothing is retried once the caller gave up.
 */
const retryDroppedConnections: Transformer = async (prev, method, payload, signal) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prev(method, payload, signal);
    } catch (error) {
      if (!(error instanceof HttpError) || attempt >= 3 || signal?.aborted || method === "getUpdates") throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
};

/**
 * Transformers for every Api the bot uses: the bot's own and each one a conversation builds.
 * Auto-retry waits out Telegram's 429s but leaves network errors to the bounded retry above, so an
 * unreachable Bot API fails instead of hanging a chat forever.
 */
export function apiTransformers(): Transformer[] {
  return [
    htmlByDefault,
    retryDroppedConnections,
    autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60, rethrowHttpErrors: true }),
  ];
}

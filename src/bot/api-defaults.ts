import { autoRetry } from "@grammyjs/auto-retry";
import { Api, HttpError, type Transformer } from "grammy";
import type { ApiClientOptions } from "grammy";
import type { Config } from "../config.js";
import { undiciTelegramFetch } from "./telegram-transport.js";

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
  return [htmlByDefault, retryDroppedConnections, autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60, rethrowHttpErrors: true })];
}

/**
 * How every Api of the bot reaches Telegram: over undici on a keep-alive pool (telegram-transport.ts). A
 * call that gets no answer fails after a minute instead of grammY's 500 s (long polls take 30 s);
 * conversations build their Api with the same options.
 */
export function botClientOptions(config: Pick<Config, "telegramApiRoot">): ApiClientOptions {
  return { apiRoot: config.telegramApiRoot, timeoutSeconds: 60, fetch: undiciTelegramFetch() };
}

/**
 * The Api for messages sent outside an update (alerts, lead numbers told later, flood notices): built
 * before the bot, so that whoever sends them needs no bot, with the bot's own options and transformers.
 */
export function createOutsideApi(config: Pick<Config, "botToken" | "telegramApiRoot">): Api {
  const api = new Api(config.botToken, botClientOptions(config));
  api.config.use(...apiTransformers());
  return api;
}

import type { Api } from "grammy";
import type { Chat, Update } from "grammy/types";
import { pickLocale, type Locale, type Translate } from "../i18n.js";
import type { Logger } from "../logger.js";

/**
 * Updates one chat may have in flight: being handled, or waiting behind the one being handled (each chat
 * is handled in order). Telegram forwards at most 100 messages at once, so an agent's forwarded stack
 * of contact cards is taken whole; a chat at the bound holds a fifth of the long-polling runner's 500
 * places (and one of the work places, runtime/work-places.ts), so a flood from one chat leaves the others room.
 */
export const CHAT_BACKLOG_LIMIT = 100;

export interface ChatGateDeps {
  /** For the notice to the chat; a 429 is waited out in the background. */
  api: Pick<Api, "sendMessage">;
  t: Translate;
  defaultLocale: Locale;
  log: Logger;
  /** Called for every dropped update (for the metrics). */
  onDropped?: () => void;
  limit?: number;
}

/**
 * In front of the bot in both modes: an update whose chat already has `limit` updates in flight is not
 * handled at all (polling confirms it, the webhook answers it 200, so Telegram does not send it again),
 * and a private chat is told once per episode, which ends when the chat has nothing left in flight.
 */
export interface ChatGate {
  /** True: handle it, then call done(update). False: drop it. */
  admit(update: Update): boolean;
  done(update: Update): void;
}

interface Episode {
  inFlight: number;
  dropped: number;
}

export function createChatGate(deps: ChatGateDeps): ChatGate {
  const limit = deps.limit ?? CHAT_BACKLOG_LIMIT;
  const { log } = deps;
  const chats = new Map<number, Episode>();

  function drop(update: Update, chat: Chat, episode: Episode): void {
    deps.onDropped?.();
    if (episode.dropped++ > 0) return;
    log.warn({ chat: chat.id, limit, update: update.update_id }, "chat flood: dropping its updates beyond the limit");
    if (chat.type !== "private") return;
    const locale = pickLocale(senderOf(update)?.language_code, deps.defaultLocale);
    deps.api
      .sendMessage(chat.id, deps.t(locale, "flood-dropped"))
      .catch((error: unknown) => log.warn({ err: error, chat: chat.id }, "could not send the flood notice"));
  }

  return {
    admit(update) {
      const chat = chatOf(update);
      // Without a chat nothing waits in line for it (the bot's sequential handling is per chat).
      if (!chat) return true;
      const episode = chats.get(chat.id) ?? { inFlight: 0, dropped: 0 };
      chats.set(chat.id, episode);
      if (episode.inFlight >= limit) {
        drop(update, chat, episode);
        return false;
      }
      episode.inFlight++;
      return true;
    },
    done(update) {
      const chat = chatOf(update);
      const episode = chat && chats.get(chat.id);
      if (!chat || !episode) return;
      if (--episode.inFlight > 0) return;
      chats.delete(chat.id);
      if (episode.dropped > 0) log.info({ chat: chat.id, dropped: episode.dropped }, "chat flood over");
    },
  };
}

/** The chat an update belongs to, as grammY's ctx.chat (the key the bot's sequential handling uses). */
export function chatOf(update: Update): Chat | undefined {
  const message =
    update.message ??
    update.edited_message ??
    update.channel_post ??
    update.edited_channel_post ??
    update.business_message ??
    update.edited_business_message ??
    update.callback_query?.message;
  return message?.chat;
}

function senderOf(update: Update): { language_code?: string } | undefined {
  return update.message?.from ?? update.callback_query?.from;
}

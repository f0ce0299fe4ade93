import { BotError, type Bot } from "grammy";
import type { Update } from "grammy/types";
import type { BotContext } from "../bot/context.js";
import type { Logger } from "../logger.js";

/**
 * One update through the bot, never rejecting: a middleware error goes to the bot's error handler
 * (bot.catch: it logs and apologises to the person), as the runner does, and in webhook mode too,
 * where grammY's handleUpdate would otherwise throw it at the HTTP server.
 */
export async function handleUpdateSafely(bot: Bot<BotContext>, update: Update, log: Logger): Promise<void> {
  try {
    await bot.handleUpdate(update);
  } catch (error) {
    try {
      // instanceof cannot know the context type: this bot's errors carry its context.
      if (error instanceof BotError) await bot.errorHandler(error as BotError<BotContext>);
      else throw error;
    } catch (unhandled) {
      log.error({ err: unhandled, update: update.update_id }, "update handling failed");
    }
  }
}

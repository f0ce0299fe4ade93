import { sequentialize } from "@grammyjs/runner";
import { conversations, type VersionedStateStorage } from "@grammyjs/conversations";
import { Bot, type Context, type MiddlewareFn } from "grammy";
import type { Config } from "../config.js";
import { createI18n } from "../i18n.js";
import type { LeadOutbox } from "../leads/outbox.js";
import type { Logger } from "../logger.js";
import type { Store } from "../store/types.js";
import { apiTransformers } from "./api-defaults.js";
import type { BotContext, InsideContext } from "./context.js";
import { cancelFeature } from "./features/cancel.js";
import { fallbackFeature } from "./features/fallback.js";
import { helpFeature } from "./features/help.js";
import { leadFeature } from "./features/lead.js";
import { createRoleDirectory } from "./roles.js";

export interface BotDeps {
  config: Config;
  leads: LeadOutbox;
  store: Store;
  log: Logger;
  now?: () => number;
}

/** Bump when the lead conversation's steps change: stored conversations of another version restart. */
const CONVERSATION_VERSION = 1;

export function createBot(deps: BotDeps): Bot<BotContext> {
  const { config, store, log } = deps;
  const now = deps.now ?? Date.now;
  const bot = new Bot<BotContext>(config.botToken, { client: { apiRoot: config.telegramApiRoot } });
  bot.api.config.use(...apiTransformers());
  const i18n = createI18n<InsideContext>(config.defaultLocale);
  const roles = createRoleDirectory(config, store.roles);
  const insideApi: MiddlewareFn<Context> = (ctx, next) => {
    ctx.api.config.use(...apiTransformers());
    return next();
  };

  // The runner handles chats concurrently; one chat's updates stay in order (same key as the conversations).
  bot.use(sequentialize((ctx) => ctx.chatId?.toString()));
  // Telegram re-sends updates after a crash or an unanswered webhook: each is handled at most once.
  bot.use(async (ctx, next) => {
    if (await store.updates.firstSeen(ctx.update.update_id, now())) return next();
    log.info({ update: ctx.update.update_id }, "repeated update ignored");
  });
  bot.use(async (ctx, next) => {
    ctx.role = ctx.from ? await roles.roleOf(ctx.from.id) : "customer";
    return next();
  });
  bot.use(logUpdates(log, now));
  bot.use(i18n);
  bot.use(
    conversations<BotContext, InsideContext>({
      storage: {
        type: "key",
        version: CONVERSATION_VERSION,
        prefix: "conversation:",
        adapter: store.conversations as VersionedStateStorage<string, never>,
      },
      plugins: [insideApi, i18n],
    }),
  );
  // Commands that work at any step come before the conversation, which would otherwise take them as answers.
  bot.use(cancelFeature(), helpFeature());
  bot.use(leadFeature(deps));
  bot.use(fallbackFeature());

  bot.catch(async ({ ctx, error }) => {
    log.error({ err: error, update: ctx.update.update_id, chat: ctx.chat?.id }, "update handling failed");
    if (ctx.chat?.type === "private") await ctx.reply(ctx.t("error-generic")).catch(() => undefined);
  });
  return bot;
}

/** One line per update: what it was, for whom, how it went and how long it took. */
function logUpdates(log: Logger, now: () => number): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const started = now();
    const kind = Object.keys(ctx.update).find((key) => key !== "update_id");
    const command = ctx.message?.text?.startsWith("/") ? ctx.message.text.split(/[\s@]/)[0] : undefined;
    let outcome = "handled";
    try {
      await next();
    } catch (error) {
      outcome = "error";
      throw error;
    } finally {
      log.info({ update: ctx.update.update_id, chat: ctx.chat?.id, role: ctx.role, kind, command, outcome, ms: now() - started }, "update");
    }
  };
}

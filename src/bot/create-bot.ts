import { sequentialize } from "@grammyjs/runner";
import { conversations } from "@grammyjs/conversations";
import { Bot, type Api, type Context, type MiddlewareFn } from "grammy";
import type { Update } from "grammy/types";
import type { Config } from "../config.js";
import { createI18n, type Translations, translateWith, translationMiddleware } from "../i18n.js";
import { createLeadCap } from "../leads/daily-cap.js";
import type { LeadOutbox } from "../leads/outbox.js";
import type { Logger } from "../logger.js";
import type { BotMetrics } from "../metrics/bot-metrics.js";
import type { Store } from "../store/types.js";
import { apiTransformers, botClientOptions } from "./api-defaults.js";
import { refreshCommandMenu } from "./command-menus.js";
import type { PhoneFormats } from "../phone.js";
import type { BotContext, InsideContext } from "./context.js";
import { recordBotError } from "../admin/journal.js";
import { boundedConversationStorage } from "./conversations/bounded-storage.js";
import { adminExportFeature } from "./features/admin-export.js";
import { adminCommandsRefused } from "./features/admin-guard.js";
import { adminLogsFeature } from "./features/admin-logs.js";
import { adminQueueFeature } from "./features/admin-queue.js";
import { adminStatsFeature } from "./features/admin-stats.js";
import { agentAdminFeature } from "./features/agent-admin.js";
import { agentFeature } from "./features/agent.js";
import { cancelFeature } from "./features/cancel.js";
import { fallbackFeature } from "./features/fallback.js";
import { helpFeature } from "./features/help.js";
import { leadFeature } from "./features/lead.js";
import type { LeadConversationDeps } from "./conversations/lead.js";
import { DEFAULT_RATE_LIMIT, rateLimitFeature, type RateLimitOptions } from "./features/rate-limit.js";
import { LeanComposer } from "./lean-composer.js";
import { createRoleDirectory, type Role } from "./roles.js";
import { loggedCommand, noteUpdate, updateNotes } from "./update-notes.js";

export interface BotDeps {
  config: Config;
  leads: LeadOutbox;
  store: Store;
  log: Logger;
  now?: () => number;
  metrics?: BotMetrics | undefined;
  /** Per-customer update rate limit (default DEFAULT_RATE_LIMIT). */
  rateLimit?: RateLimitOptions | undefined;
  /** The app's translations, loaded once; default: the locale files are read here. */
  i18n?: Translations | undefined;
  /** How long an agent's contact waits for Brainysoft before its line says "queued" (default 3 s). */
  agentAnswerWithinMs?: number | undefined;
  /** How long an admin's /retry waits for its attempts before it answers with what is known (default 5 s). */
  retryAnswerWithinMs?: number | undefined;
  /** Runs before everything else, around the whole handling (webhook mode: http/webhook.ts's bookkeeping). */
  first?: MiddlewareFn<BotContext> | undefined;
  /** The app's one reading per phone, shared with the journal (default: the lead feature's own). */
  phones?: PhoneFormats | undefined;
  /** Polling: lets the update's work place go while the customer waits for Brainysoft (runtime/work-places.ts). */
  waitAside?: LeadConversationDeps["waitAside"];
}

/**
 * Bump when the lead conversation's steps change: stored conversations of another version restart.
 * 2: refused answers are skipped (not kept) and the conversation starts over after MAX_KEPT_ANSWERS.
 */
const CONVERSATION_VERSION = 2;

export function createBot(deps: BotDeps): Bot<BotContext> {
  const { config, store, log } = deps;
  const now = deps.now ?? Date.now;
  const bot = new Bot<BotContext>(config.botToken, { client: botClientOptions(config) });
  // Stateless, so one set serves the bot's Api and the Api each conversation replay builds.
  const transformers = apiTransformers();
  bot.api.config.use(...transformers);
  const i18n = deps.i18n ?? createI18n(config.defaultLocale);
  const menuText = { t: translateWith(i18n), defaultLocale: config.defaultLocale };
  // The same ctx.t outside and inside the conversation, built once (i18n.ts).
  const translation = translationMiddleware<InsideContext>(i18n, config.defaultLocale);
  const roles = createRoleDirectory(config, store.roles);
  const insideApi: MiddlewareFn<Context> = (ctx, next) => {
    ctx.api.config.use(...transformers);
    return next();
  };

  // One flat chain installed once: grammY's bot.use() would wrap every layer in two async functions per update.
  const chain = new LeanComposer<BotContext>();
  bot.use(chain);
  if (deps.first) chain.use(deps.first);
  // The runner handles chats concurrently; one chat's updates stay in order (the conversations' key; a
  // chatless update, by its sender).
  const chatKey = (ctx: Context) => ctx.chatId ?? ctx.from?.id;
  chain.use(sequentialize((ctx) => chatKey(ctx)?.toString()));
  // First, so that the error handler (bot.catch) can apologise whatever fails after it.
  chain.use(translation);
  // Replicas: one chat's updates are handled one at a time on all of them together (a per-chat lock in
  // the shared store), so a re-delivered update waits for its first handling and finds it remembered.
  // One process needs no more than sequentialize above: a lock there would cost each update its promises.
  if (config.database) {
    chain.use((ctx, next) => {
      const key = chatKey(ctx);
      return key === undefined ? next() : store.coordination.withChatLock(key, next);
    });
  }
  chain.use(async (ctx, next) => {
    ctx.role = ctx.from ? await roles.roleOf(ctx.from.id) : "customer";
    return next();
  });
  // Outside the deduplication, so the line is written once the update is remembered as handled.
  chain.use(logUpdates(log, now));
  // After the role (agents and admins are not limited), before the deduplication: a flood costs no store read or write.
  chain.use(
    rateLimitFeature(deps.rateLimit ?? DEFAULT_RATE_LIMIT, {
      log,
      onDropped: () => deps.metrics?.rateLimited.inc(),
      // Replicas count in the store they share; one process counts in memory, with no store write per update.
      ...(config.database ? { shared: { counters: store.counters, now } } : {}),
    }),
  );
  // Telegram re-sends updates after a crash or an unanswered webhook: a handled one is not handled again.
  // A repeat waits behind the original in sequentialize above, so it sees it remembered.
  // A conversation step remembers its update with its state (one commit, not two): those are not marked again.
  const markedWithState = new WeakSet<Update>();
  chain.use(async (ctx, next) => {
    const id = ctx.update.update_id;
    if (await store.updates.wasHandled(id)) {
      log.info({ update: id }, "repeated update ignored");
      return;
    }
    try {
      await next();
    } finally {
      // Not remembering it (a full disk) must not turn a handled update into an apology after the answer;
      // a copy Telegram sends again is handled again, which finds the lead already saved.
      if (!markedWithState.has(ctx.update)) {
        await store.updates
          .markHandled(id, now())
          .catch((error: unknown) => log.error({ err: error, update: id }, "could not remember a handled update"));
      }
    }
  });
  if (deps.metrics) chain.use(countUpdates(deps.metrics));
  chain.use(
    conversations<BotContext, InsideContext>({
      storage: boundedConversationStorage<BotContext>({
        store: store.conversations,
        version: CONVERSATION_VERSION,
        onDropped: async (ctx, bytes) => {
          log.warn({ chat: ctx.chatId, bytes }, "conversation state over its size limit: conversation ended");
          noteUpdate(ctx, "conversation dropped");
          await ctx.reply(ctx.t("conversation-dropped"), { reply_markup: { remove_keyboard: true } }).catch(() => undefined);
        },
        onMarkedHandled: (ctx) => markedWithState.add(ctx.update),
      }),
      plugins: [insideApi, translation],
    }),
  );
  // Commands that work at any step come before the conversation, which would otherwise take them as answers.
  chain.use(cancelFeature(), helpFeature());
  // Admin commands work at any step too; for everyone else they do not exist.
  chain.use(adminCommandsRefused());
  // A new or former agent sees the menu of their role from the next time they open the chat.
  const onRoleChange = (api: Api, userId: number, role: Role) =>
    refreshCommandMenu(api, userId, role, menuText).catch((error: unknown) => {
      log.warn({ err: error, user: userId, role }, "could not refresh a command menu");
    });
  // Staff only (each feature checks the role itself too): a customer's update passes them with one check,
  // instead of through a dozen filters that cannot match.
  const staff = new LeanComposer<BotContext>(
    adminLogsFeature({ events: store.events }),
    adminStatsFeature({ store, now }),
    adminQueueFeature({ store, leads: deps.leads, now, answerWithinMs: deps.retryAnswerWithinMs }),
    adminExportFeature({ store, now }),
    agentAdminFeature({ roles, log, now, onRoleChange }),
    // Before the customer conversation: an agent's contact is a lead they hand in, never an answer to it.
    agentFeature(deps),
  );
  chain.filter((ctx) => ctx.role !== "customer", staff);
  const leadCap = createLeadCap({
    leads: store.leads,
    // The key-value table the conversations are kept in, under keys of its own.
    answers: store.conversations,
    perDay: config.leadsPerUserPerDay,
    now,
    onReached: () => deps.metrics?.leads.inc({ outcome: "limit-reached" }),
  });
  const recentLead = (phone: string) => store.leads.findRecent(phone, now() - config.duplicateWindowMs);
  chain.use(leadFeature({ ...deps, leadCap, recentLead }));
  chain.use(fallbackFeature());

  bot.catch(async ({ ctx, error }) => {
    log.error({ err: error, update: ctx.update.update_id, chat: ctx.chat?.id }, "update handling failed");
    await recordBotError(store.events, error, { role: ctx.role, userId: ctx.from?.id }, log);
    if (ctx.chat?.type === "private") await ctx.reply(ctx.t("error-generic")).catch(() => undefined);
  });
  return bot;
}

/** Counts updates past the rate limit by outcome, for /metrics. */
function countUpdates(metrics: BotMetrics): MiddlewareFn<BotContext> {
  return async (_ctx, next) => {
    try {
      await next();
      metrics.updates.inc({ outcome: "handled" });
    } catch (error) {
      metrics.updates.inc({ outcome: "error" });
      throw error;
    }
  };
}

/** One line per update: what it was, for whom, how it went and how long it took. */
function logUpdates(log: Logger, now: () => number): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    // Nothing to gather for a line the log would drop.
    if (!log.isLevelEnabled("info")) return next();
    const started = now();
    const kind = Object.keys(ctx.update).find((key) => key !== "update_id");
    const command = loggedCommand(ctx.message?.text);
    let outcome = "handled";
    try {
      await next();
    } catch (error) {
      outcome = "error";
      throw error;
    } finally {
      // "did": what the features noted (e.g. "stats", "retry 3"); never text the person typed.
      const did = updateNotes(ctx);
      log.info(
        { update: ctx.update.update_id, chat: ctx.chat?.id, role: ctx.role, kind, command, outcome, did, ms: now() - started },
        "update",
      );
    }
  };
}

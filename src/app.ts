import { run, type RunnerHandle } from "@grammyjs/runner";
import type { Bot } from "grammy";
import { createBrainysoftClient, type BrainysoftClient } from "./brainysoft/client.js";
import type { BotContext } from "./bot/context.js";
import { createBot } from "./bot/create-bot.js";
import { createLeadNotifier } from "./bot/lead-notifier.js";
import type { Config } from "./config.js";
import { createTranslate } from "./i18n.js";
import { createLeadOutbox, type LeadOutbox, type OutboxOptions } from "./leads/outbox.js";
import type { Logger } from "./logger.js";
import { openSqliteStore } from "./store/sqlite.js";
import type { Store } from "./store/types.js";

export interface App {
  bot: Bot<BotContext>;
  store: Store;
  leads: LeadOutbox;
  client: BrainysoftClient;
  /** Connects to Telegram and starts taking updates and delivering queued leads. */
  start(): Promise<void>;
  /** Stops taking updates, lets work in flight finish, closes the store. Safe to call twice. */
  stop(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  log: Logger;
  /** Delivery timings, for tests that cannot wait minutes for a retry. */
  outbox?: Partial<Pick<OutboxOptions, "answerWithinMs" | "baseDelayMs" | "maxDelayMs" | "pollIntervalMs">>;
}

/** Wires the parts together; nothing connects anywhere until start(). */
export function createApp({ config, log, outbox }: AppOptions): App {
  const store = openSqliteStore({ dataDir: config.dataDir });
  const client = createBrainysoftClient({ ...config.brainysoft, log: log.child({ part: "brainysoft" }) });
  let bot: Bot<BotContext> | undefined;
  const leads = createLeadOutbox({
    store,
    client,
    log,
    concurrency: config.brainysoft.concurrency,
    duplicateWindowMs: config.duplicateWindowMs,
    maxAgeMs: config.leadMaxAgeMs,
    answerWithinMs: Math.min(20_000, config.brainysoft.timeoutMs + 1_000),
    ...outbox,
    listener: createLeadNotifier({ api: () => bot!.api, t: createTranslate(config.defaultLocale), log }),
  });
  bot = createBot({ config, leads, store, log });
  const theBot = bot;
  let runner: RunnerHandle | undefined;
  let stopping: Promise<void> | undefined;

  return {
    bot: theBot,
    store,
    leads,
    client,
    async start() {
      await theBot.init();
      // The runner does not remove a webhook left by another deployment, and polling fails while one is set.
      await theBot.api.deleteWebhook();
      leads.start();
      runner = run(theBot, { runner: { fetch: { allowed_updates: ["message", "callback_query"] } } });
      log.info({ bot: theBot.botInfo.username }, "bot started");
    },
    stop() {
      stopping ??= (async () => {
        if (runner?.isRunning()) await runner.stop();
        await leads.stop();
        await client.close();
        await store.close();
        log.info("bot stopped");
      })();
      return stopping;
    },
  };
}

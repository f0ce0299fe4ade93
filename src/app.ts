import { createAlertCenter, type AlertCenterOptions } from "./admin/alerts.js";
import { createLeadJournal } from "./admin/journal.js";
import { createRetention } from "./admin/retention.js";
import { setupCommandMenus } from "./bot/command-menus.js";
import { combineListeners } from "./leads/outbox-events.js";
import { Api, type Bot } from "grammy";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { createOutsideApi } from "./bot/api-defaults.js";
import { createBrainysoftClient, type BrainysoftClient } from "./brainysoft/client.js";
import type { BotContext } from "./bot/context.js";
import { createBot } from "./bot/create-bot.js";
import type { RateLimitOptions } from "./bot/features/rate-limit.js";
import { createLeadNotifier } from "./bot/lead-notifier.js";
import type { Config } from "./config.js";
import { gaugeReadOnScrape } from "./metrics/registry.js";
import { createHttpServer, type HttpServer } from "./http/server.js";
import { webhookBookkeeping, webhookRoute } from "./http/webhook.js";
import { createI18n, translateWith } from "./i18n.js";
import { createLeadOutbox, type LeadOutbox, type OutboxOptions } from "./leads/outbox.js";
import { createPhoneFormats } from "./phone.js";
import type { Logger } from "./logger.js";
import { countSubmitOutcomes, createBotMetrics, leadMetricsListener, type BotMetrics } from "./metrics/bot-metrics.js";
import { createChatGate } from "./runtime/chat-gate.js";
import { createInFlight } from "./runtime/in-flight.js";
import { createWorkPlaces } from "./runtime/work-places.js";
import { grammySignal, startPolling, type AllowedUpdate } from "./runtime/polling.js";
import { pollAsLeader, type LeaderPoller } from "./runtime/polling-leader.js";
import { within } from "./within.js";
import { openStore } from "./store/open.js";
import type { Store } from "./store/types.js";
import { createWriteHealth, watchWrites, type WriteHealthOptions } from "./store/write-health.js";

export interface App {
  bot: Bot<BotContext>;
  store: Store;
  leads: LeadOutbox;
  client: BrainysoftClient;
  metrics: BotMetrics;
  /** Where the HTTP server (health, readiness, metrics, webhook) listens once started; PORT=0 picks a free port. */
  httpAddress(): { port: number } | undefined;
  /** Connects to Telegram and starts taking updates and delivering queued leads. */
  start(): Promise<void>;
  /** Stops taking updates, lets work in flight finish, closes the store. Safe to call twice. */
  stop(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  log: Logger;
  /** Delivery timings, for tests that cannot wait minutes for a retry. */
  outbox?: Partial<
    Pick<OutboxOptions, "answerWithinMs" | "baseDelayMs" | "maxDelayMs" | "pollIntervalMs" | "writeRetryBaseMs" | "writeRetryMaxMs">
  >;
  /** Alert folding, for tests that cannot wait an hour for a reminder. */
  alerts?: Partial<Pick<AlertCenterOptions, "failuresBeforeAlert" | "remindEveryMs" | "foldLeadFailuresMs">>;
  runtime?: RuntimeOptions;
  /** Tests: a decorator around the opened store (fault injection), and the timings of noticing write failures. */
  wrapStore?: (store: Store) => Store;
  storeWrites?: Partial<Pick<WriteHealthOptions, "settleMs" | "probeBaseMs" | "probeMaxMs">>;
}

/** Production runtime settings that are not the operator's business; tests change them. */
export interface RuntimeOptions {
  /** How long a stop waits for updates and deliveries in progress. Default: the first-answer wait + 5 s. */
  shutdownTimeoutMs?: number;
  /** Webhook mode: Telegram is answered when the update is handled, or after this long (default 5 s). */
  webhookAnswerWithinMs?: number;
  /** Per-customer update rate limit (default 15 in 10 s). */
  rateLimit?: RateLimitOptions;
  /** How long an agent's contact waits for Brainysoft before its line says "queued" (default 3 s). */
  agentAnswerWithinMs?: number;
  /** How long an admin's /retry waits for its attempts before it answers with what is known (default 5 s). */
  retryAnswerWithinMs?: number;
}

/** The same in both modes; Telegram remembers the list, so a mode switch must not change it. */
const ALLOWED_UPDATES: AllowedUpdate[] = ["message", "callback_query"];

/** Wires the parts together; nothing connects anywhere until start(). */
export function createApp({ config, log, outbox, alerts: alertTimings, runtime = {}, wrapStore, storeWrites }: AppOptions): App {
  const metrics = createBotMetrics();
  // Replicas share a PostgreSQL store; this names this process in it (leases) and in the logs.
  const replica = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const replicated = config.database !== undefined;
  const opened = openStore(config, log);
  // Every write reports to writeHealth: readiness and the admins' alert follow what the disk lets through.
  const writeHealth = createWriteHealth({
    probe: () => store.probeWrite(),
    log,
    events: { failing: (problem) => alerts.storeFailing(problem), recovered: (problem) => alerts.storeRecovered(problem) },
    ...storeWrites,
  });
  const store = watchWrites(wrapStore?.(opened) ?? opened, writeHealth);
  const client = createBrainysoftClient({ ...config.brainysoft, log: log.child({ part: "brainysoft" }) });
  // The locale files are read once: the bot, the conversations and every message sent outside an update share them.
  const i18n = createI18n(config.defaultLocale);
  const t = translateWith(i18n);
  // One reading per phone for the conversation that takes it, the journal that masks it and the answer.
  const phones = createPhoneFormats();
  // How long a new lead's first answer waits for Brainysoft: one attempt and a second to spare, at most 20 s.
  const answerWithinMs = outbox?.answerWithinMs ?? Math.min(20_000, config.brainysoft.timeoutMs + 1_000);
  const api = createOutsideApi(config);
  const alerts = createAlertCenter({
    api,
    adminIds: config.adminIds,
    t,
    locale: config.defaultLocale,
    store,
    log,
    ...alertTimings,
    ...(replicated ? { shared: { once: async (key, windowMs) => (await store.counters.hit(key, windowMs, Date.now())) === 1 } } : {}),
  });
  const retention = createRetention({ store, retentionDays: config.retentionDays, log });
  const leads = createLeadOutbox({
    store,
    phones,
    client,
    log,
    concurrency: config.brainysoft.concurrency,
    duplicateWindowMs: config.duplicateWindowMs,
    maxAgeMs: config.leadMaxAgeMs,
    writeHealth,
    owner: replica,
    leaseMs: config.leadLeaseMs,
    // Another replica may be telling an outcome it has just stored; it is done within this.
    ...(replicated ? { untoldGraceMs: 10_000 } : {}),
    ...outbox,
    answerWithinMs,
    // The person first: a failure to tell them keeps the lead "not notified"; journal and alerts only observe.
    listener: combineListeners(
      // Counting only: it never throws, so it delays or stops nothing.
      leadMetricsListener(metrics),
      createLeadNotifier({ api, t, log }),
      createLeadJournal({ events: store.events, phones }),
      alerts,
    ),
  });
  const countedLeads = countSubmitOutcomes(leads, metrics);
  // In front of the bot in either mode: what one chat may have in flight (runtime/chat-gate.ts).
  const chatGate = createChatGate({
    api,
    t,
    defaultLocale: config.defaultLocale,
    log,
    onDropped: () => metrics.floodDropped.inc(),
  });
  const webhookInFlight = createInFlight();
  // Webhook mode: the gate, the count of updates in flight and the error handler run inside the bot, which alone knows when an update ends.
  const first =
    config.webhook && webhookBookkeeping({ inFlight: webhookInFlight, chatGate, log, onError: (error) => bot.errorHandler(error) });
  // Polling: where a taken update waits for its turn (runtime/work-places.ts). Webhook mode has Telegram's
  // max_connections (40 unless set) for a bound.
  const workPlaces = createWorkPlaces(config.updateConcurrency);
  const { rateLimit, agentAnswerWithinMs, retryAnswerWithinMs } = runtime;
  const bot = createBot({
    config,
    leads: countedLeads,
    store,
    log,
    metrics,
    i18n,
    first,
    rateLimit,
    agentAnswerWithinMs,
    retryAnswerWithinMs,
    phones,
    waitAside: config.webhook ? undefined : workPlaces.aside,
  });
  let poller: LeaderPoller | undefined;
  // No update is taken that the store could not record (a networked store out of reach): Telegram keeps it.
  const storeReachable = () => !writeHealth.unreachable();
  let stopping: Promise<void> | undefined;
  const shutdownTimeoutMs = runtime.shutdownTimeoutMs ?? answerWithinMs + 5_000;
  // Readiness asks Telegram directly: the bot's own Api would wait out 429s for a minute.
  const probeApi = new Api(config.botToken, { apiRoot: config.telegramApiRoot, timeoutSeconds: 10 });
  gaugeReadOnScrape(
    metrics.registry,
    "leadbot_lead_queue_depth",
    "Leads saved and waiting for delivery to Brainysoft.",
    async () => (await store.leads.countByState()).pending,
  );
  gaugeReadOnScrape(
    metrics.registry,
    "leadbot_updates_in_flight",
    "Updates taken from Telegram and not yet handled.",
    () => (poller?.inFlightSize() ?? 0) + webhookInFlight.size,
  );
  gaugeReadOnScrape(
    metrics.registry,
    "leadbot_updates_waiting_for_place",
    "Updates taken from Telegram and waiting for one of the UPDATE_CONCURRENCY places.",
    () => workPlaces.waiting(),
  );
  const http: HttpServer = createHttpServer({
    log,
    metrics: config.metrics ? metrics.registry : undefined,
    readiness: {
      mode: config.mode,
      takingUpdates: () => stopping === undefined && (config.mode === "webhook" || poller?.isRunning() === true),
      store,
      storeWriteProblem: () => writeHealth.problem(),
      telegramProbe: (signal) => probeApi.getMe(grammySignal(signal)),
      brainysoft: client,
    },
    webhook: config.webhook && {
      path: new URL(config.webhook.url).pathname,
      route: webhookRoute({
        bot,
        secret: config.webhook.secret,
        log,
        answerWithinMs: runtime.webhookAnswerWithinMs ?? 5_000,
        accepting: () => stopping === undefined && storeReachable(),
      }),
    },
  });

  return {
    bot: bot,
    store,
    leads: countedLeads,
    client,
    metrics,
    httpAddress: () => http.address(),
    async start() {
      await store.ready();
      await bot.init();
      // Listening before setWebhook: Telegram starts posting at once.
      await http.listen(config.port);
      await retention.start();
      // In the background: a few Bot API calls per admin and agent (each 429 waited out) must not delay taking updates.
      const setMenus = async () =>
        setupCommandMenus(bot.api, {
          adminIds: config.adminIds,
          agentIds: [...new Set([...config.agentIds, ...(await store.roles.listAgents())])],
          defaultLocale: config.defaultLocale,
          t,
          log,
        });
      setMenus().catch((error: unknown) => log.warn({ err: error }, "could not set the command menus"));
      leads.start();
      if (config.webhook) {
        // Left set on stop: Telegram keeps the updates for the next instance.
        await bot.api.setWebhook(config.webhook.url, { secret_token: config.webhook.secret, allowed_updates: ALLOWED_UPDATES });
      } else {
        // One replica polls at a time (Telegram refuses a second long poll); the others stand by.
        poller = pollAsLeader({
          coordination: store.coordination,
          log,
          startPolling: async () => {
            // The runner does not remove a webhook left by another deployment, and polling fails while one is set.
            await bot.api.deleteWebhook();
            return startPolling(bot, {
              allowedUpdates: ALLOWED_UPDATES,
              log,
              chatGate,
              workPlaces,
              paused: () => !storeReachable(),
            });
          },
        });
      }
      log.info({ bot: bot.botInfo.username, mode: config.mode, replica }, "bot started");
    },
    stop() {
      stopping ??= (async () => {
        // One deadline for all the waiting, each step capped by what is left of it, so that a stop never
        // takes longer than shutdownTimeoutMs; past it, whatever is unfinished is safe in the store
        // (write-ahead) and Telegram re-sends the updates this process did not confirm.
        const deadline = performance.now() + shutdownTimeoutMs;
        const left = (atMost = Infinity) => Math.min(atMost, Math.max(0, deadline - performance.now()));
        // No new updates (the webhook answers 503 from now on); those taken finish; polling confirms them.
        if (poller) await poller.stop(left());
        else if (!(await webhookInFlight.idle(left())))
          log.warn({ updates: webhookInFlight.size }, "stopping with updates still in progress");
        if (!(await within(leads.stop(), left()))) log.warn("stopping with lead deliveries still in progress");
        await http.close(left(1_000));
        retention.stop();
        // A message to admins held up by Telegram must not hold up the shutdown.
        if (!(await within(alerts.stop(), left(5_000)))) log.warn("stopping with admin alerts still being sent");
        await within(client.close(), left(1_000));
        writeHealth.stop();
        await store.close();
        log.info("bot stopped");
      })();
      return stopping;
    },
  };
}

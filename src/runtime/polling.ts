import { createConcurrentSink, createRunner, createSource, createUpdateFetcher } from "@grammyjs/runner";
import type { Api, Bot } from "grammy";
import type { Update } from "grammy/types";
import type { BotContext } from "../bot/context.js";
import type { Logger } from "../logger.js";
import type { ChatGate } from "./chat-gate.js";
import { handleUpdateSafely } from "./handle-update.js";
import { createInFlight, type InFlight } from "./in-flight.js";
import { within } from "../within.js";
import type { WorkPlaces } from "./work-places.js";

export type AllowedUpdate = Exclude<keyof Update, "update_id">;

/** How often a paused poller looks whether the store can be reached again. */
const PAUSED_CHECK_MS = 500;

/** The runner's signal is typed with the abort-controller polyfill: only what both share. */
function pause(ms: number, signal: Pick<AbortSignal, "addEventListener">): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The longest a stop waits for Telegram to take the confirmation. */
const CONFIRM_TIMEOUT_MS = 5_000;

export interface Poller {
  readonly inFlight: InFlight;
  /** False once stopped, or when Telegram refused getUpdates for good (401, or 409: a webhook or another instance). */
  isRunning(): boolean;
  /**
   * Stops taking updates, waits for the ones taken, then confirms to Telegram every update below the
   * oldest unfinished one, so that a restart gets only what this process did not finish. All of it
   * within `withinMs`: the confirmation gets what the waiting left, at most 5 s. `confirm: false` skips
   * the confirmation (another replica polls now, and a getUpdates of ours would meet its long poll).
   */
  stop(withinMs: number, options?: { confirm?: boolean }): Promise<{ drained: boolean }>;
}

/**
 * Concurrent long polling: @grammyjs/runner's source and concurrent sink, put together here (rather
 * than with `run()`) to know which updates were taken and which finished. `run()` neither waits for
 * handlers on stop nor confirms the last batch, so Telegram would send it again after every deploy.
 */
export function startPolling(
  bot: Bot<BotContext>,
  options: {
    allowedUpdates: readonly AllowedUpdate[];
    log: Logger;
    chatGate: ChatGate;
    /** Where an update waits for its turn once taken (UPDATE_CONCURRENCY). */
    workPlaces: WorkPlaces;
    /** While true, no updates are taken (the store cannot record them): Telegram keeps them meanwhile. */
    paused?: () => boolean;
  },
): Poller {
  const { log, chatGate, workPlaces } = options;
  const inFlight = createInFlight();
  let lastTaken: number | undefined;
  let failed = false;
  const fetchUpdates = createUpdateFetcher(bot, { fetch: { allowed_updates: options.allowedUpdates } });
  const source = createSource({
    async supply(batchSize, signal) {
      if (options.paused?.()) {
        log.warn("not taking updates while the store cannot be reached");
        while (options.paused() && !signal.aborted) await pause(PAUSED_CHECK_MS, signal);
      }
      const updates = await fetchUpdates(batchSize, signal);
      for (const update of updates) {
        inFlight.add(update.update_id);
        lastTaken = update.update_id;
      }
      return updates;
    },
  });
  const sink = createConcurrentSink<Update>(
    {
      // A flooding chat's excess is dropped here, so that it does not take the sink's places from other chats.
      consume: async (update) => {
        if (!chatGate.admit(update)) return inFlight.done(update.update_id);
        await workPlaces.enter(update);
        await handleUpdateSafely(bot, update, log).finally(() => {
          workPlaces.leave(update);
          chatGate.done(update);
          inFlight.done(update.update_id);
        });
      },
    },
    async (error) => log.error({ err: error }, "update handling failed outside the bot"),
  );
  const runner = createRunner(source, sink);
  runner.start();
  runner.task()?.catch((error: unknown) => {
    failed = true;
    log.error({ err: error }, "long polling stopped: Telegram refused getUpdates");
  });

  /**
   * getUpdates with a higher offset is Telegram's only way to confirm; what it returns now is left for
   * the next start. Unconfirmed updates come again after a restart and are dropped as handled.
   */
  async function confirm(offset: number, ms: number): Promise<void> {
    if (ms === 0) return log.warn({ offset }, "no time left to confirm the handled updates");
    const confirming = bot.api
      .getUpdates({ offset, limit: 1, timeout: 0 }, grammySignal(AbortSignal.timeout(ms)))
      .then(() => log.info({ offset }, "updates confirmed"))
      .catch((error: unknown) => log.warn({ err: error }, "could not confirm the handled updates"));
    // The signal ends the request; this also ends a wait for a 429 (auto-retry would sleep through the signal).
    if (!(await within(confirming, ms))) log.warn({ offset }, "could not confirm the handled updates in time");
  }

  return {
    inFlight,
    isRunning: () => !failed && runner.isRunning(),
    async stop(withinMs, { confirm: confirming = true } = {}) {
      const deadline = Date.now() + withinMs;
      const left = () => Math.max(0, deadline - Date.now());
      // Aborts the long poll in progress; a Bot API that does not let go must not hold up the rest.
      await within(runner.stop(), left());
      const drained = await inFlight.idle(left());
      if (!drained) log.warn({ updates: inFlight.size }, "stopping with updates still in progress");
      const offset = inFlight.lowest() ?? (lastTaken === undefined ? undefined : lastTaken + 1);
      if (offset !== undefined && !failed && confirming) await confirm(offset, Math.min(CONFIRM_TIMEOUT_MS, left()));
      return { drained };
    },
  };
}

/** grammY types its signals with the abort-controller polyfill; Node's own AbortSignal is what it gets at run time. */
export function grammySignal(signal: AbortSignal): Parameters<Api["getMe"]>[0] {
  return signal as unknown as Parameters<Api["getMe"]>[0]; // the same object at run time (above)
}

import { LeanComposer } from "../lean-composer.js";
import { limit } from "@grammyjs/ratelimiter";
import type { Composer } from "grammy";
import type { Logger } from "../../logger.js";
import type { WindowCounters } from "../../store/types.js";
import type { BotContext } from "../context.js";

export interface RateLimitOptions {
  /** Updates one person may send per window... */
  limit: number;
  /** ...of this many milliseconds. */
  windowMs: number;
}

/**
 * 15 updates in 10 seconds: more than anyone answering two questions sends (a slip on the keyboard,
 * a double tap), less than a script or a stuck key.
 */
/** The Redis client shape the limiter takes (its type is not exported). */
interface CounterClient {
  incr(key: string): Promise<number>;
  pexpire(key: string, milliseconds: number): Promise<number>;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 15, windowMs: 10_000 };

/**
 * Drops a customer's updates beyond the limit, before they cost a reply, a store write or a CRM call,
 * with one polite notice per window in a private chat. Each chat is handled in order, so the flood
 * only ever queues behind itself. Agents and admins are not limited: handing in a stack of contacts
 * is their job.
 */
export function rateLimitFeature(
  options: RateLimitOptions,
  deps: { log: Logger; onDropped?: () => void; shared?: { counters: WindowCounters; now: () => number } },
): Composer<BotContext> {
  const { shared } = deps;
  const limiter = limit<BotContext, CounterClient>({
    // Replicas count in the store they share (its counters are Redis's INCR and PEXPIRE); one process, in memory.
    storageClient: shared
      ? {
          incr: (key) => shared.counters.hit(key, options.windowMs, shared.now()),
          // hit opens the window itself.
          pexpire: async () => 1,
        }
      : "MEMORY_STORE",
    timeFrame: options.windowMs,
    limit: options.limit,
    keyGenerator: (ctx) => (ctx.role === "customer" && ctx.from ? String(ctx.from.id) : undefined),
    onLimitExceeded: async (ctx) => {
      deps.log.info({ user: ctx.from?.id }, "rate limit reached");
      if (ctx.chat?.type === "private") await ctx.reply(ctx.t("rate-limited")).catch(() => undefined);
    },
  });
  const feature = new LeanComposer<BotContext>();
  feature.use(async (ctx, next) => {
    let passed = false;
    await limiter(ctx, async () => {
      passed = true;
      await next();
    });
    if (!passed) deps.onDropped?.();
  });
  return feature;
}

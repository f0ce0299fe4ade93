import { BotError, webhookCallback, type Bot, type MiddlewareFn } from "grammy";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { BotContext } from "../bot/context.js";
import type { Logger } from "../logger.js";
import type { ChatGate } from "../runtime/chat-gate.js";
import type { InFlight } from "../runtime/in-flight.js";
import type { NodeEnv } from "./node-server.js";

/** Updates are a few kilobytes; anything much larger is not from Telegram. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookOptions {
  bot: Bot<BotContext>;
  secret: string;
  log: Logger;
  /**
   * How long Telegram waits for the answer: the update is answered when handled, or after this long
   * while its handling goes on (see README, "Running in production").
   */
  answerWithinMs: number;
  /**
   * False while shutting down, or while the store cannot be reached: new updates get 503 and Telegram
   * keeps them for later (or for another replica).
   */
  accepting(): boolean;
}

/** The update's id, known once its body is read, for the log line of a late answer. */
export type WebhookEnv = NodeEnv & { Variables: { updateId: number } };

/**
 * Telegram's webhook, POST only (mounted at the path of WEBHOOK_URL). grammY's webhookCallback checks
 * the secret set with setWebhook (401 otherwise, and nothing is handled) and answers 200 once the update
 * is handled, or after `answerWithinMs` while its handling goes on. In front of it: 503 while stopping,
 * 413 over 1 MiB, 400 for a body that is not an update. A re-sent update is answered 200 and dropped by
 * the bot's update de-duplication, so it is handled once however often it arrives.
 */
export function webhookRoute(options: WebhookOptions): Hono<WebhookEnv> {
  const { log } = options;
  const answer = webhookCallback(options.bot, "hono", {
    secretToken: options.secret,
    timeoutMilliseconds: options.answerWithinMs,
    // Answer 200 and let the handling go on (webhookBookkeeping knows when it ends).
    onTimeout: (c: Context<WebhookEnv>) => log.info({ update: c.get("updateId") }, "webhook answered before the update was handled"),
  });

  const route = new Hono<WebhookEnv>();
  route.post(
    "/",
    async (c, next) => {
      await next();
      if (c.res.status === 401) log.warn({ ip: c.env.incoming.socket.remoteAddress }, "webhook request without the right secret refused");
    },
    async (c, next) => {
      if (!options.accepting()) return c.text("not taking updates now", 503, { "retry-after": "5" });
      return next();
    },
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.text("too large", 413) }),
    async (c, next) => {
      // grammY reads the same parsed body again: Hono keeps it.
      const body: unknown = await c.req.json().catch(() => undefined);
      const updateId = body !== null && typeof body === "object" && "update_id" in body ? body.update_id : undefined;
      if (typeof updateId !== "number" || !Number.isInteger(updateId)) return c.text("not an update", 400);
      c.set("updateId", updateId);
      return next();
    },
    (c) => answer(c),
  );
  return route;
}

export interface WebhookBookkeepingOptions {
  inFlight: InFlight;
  /** Drops a flooding chat's excess; a dropped update is answered 200, so Telegram does not send it again. */
  chatGate: ChatGate;
  log: Logger;
  /** The bot's error handler (bot.catch): it logs and apologises to the person. */
  onError(error: BotError<BotContext>): unknown;
}

/**
 * First in the bot's middleware in webhook mode, because only the bot knows when an update's handling
 * ends (grammY's webhook may have answered Telegram long before): the chat gate, the updates in flight
 * a stop waits for, and errors handed to bot.catch as the polling runner does, so that an error never
 * surfaces after the answer was sent.
 */
export function webhookBookkeeping(options: WebhookBookkeepingOptions): MiddlewareFn<BotContext> {
  const { inFlight, chatGate, log } = options;
  return async (ctx, next) => {
    const { update } = ctx;
    if (!chatGate.admit(update)) return;
    inFlight.add(update.update_id);
    try {
      await next();
    } catch (error) {
      try {
        await options.onError(new BotError(error, ctx));
      } catch (unhandled) {
        log.error({ err: unhandled, update: update.update_id }, "update handling failed");
      }
    } finally {
      chatGate.done(update);
      inFlight.done(update.update_id);
    }
  };
}

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { BotContext } from "../bot/context.js";
import type { Logger } from "../logger.js";
import type { ChatGate } from "../runtime/chat-gate.js";
import { handleUpdateSafely } from "../runtime/handle-update.js";
import type { InFlight } from "../runtime/in-flight.js";
import { within } from "../runtime/within.js";
import { send, TEXT } from "./respond.js";

/** Updates are a few kilobytes; anything much larger is not from Telegram. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookOptions {
  bot: Bot<BotContext>;
  secret: string;
  inFlight: InFlight;
  /** Drops a flooding chat's excess; a dropped update is answered 200, so Telegram does not send it again. */
  chatGate: ChatGate;
  log: Logger;
  /**
   * How long Telegram waits for the answer: the update is answered when handled, or after this long
   * while its handling goes on (see README, "Running in production").
   */
  answerWithinMs: number;
  /** False while shutting down: new updates get 503 and Telegram keeps them for the next instance. */
  accepting(): boolean;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * POST handler for Telegram's webhook. Only requests carrying the secret set with setWebhook are read:
 * anything else gets 401 and is never handled. A re-sent update is answered 200 and dropped by the
 * bot's update de-duplication, so it is handled once however often it arrives.
 */
export function webhookHandler(options: WebhookOptions): RouteHandler {
  const { bot, inFlight, chatGate, log } = options;
  const expected = Buffer.from(options.secret, "utf8");

  return async (req, res) => {
    if (!secretMatches(req.headers["x-telegram-bot-api-secret-token"], expected)) {
      log.warn({ ip: req.socket.remoteAddress }, "webhook request without the right secret refused");
      return send(res, 401, TEXT, "unauthorized");
    }
    if (!options.accepting()) return send(res, 503, TEXT, "shutting down", { "retry-after": "5" });
    const body = await readBody(req);
    if (body === "too-large") return send(res, 413, TEXT, "too large");
    const update = parseUpdate(body);
    if (!update) return send(res, 400, TEXT, "not an update");

    if (!chatGate.admit(update)) return send(res, 200, TEXT, "");
    inFlight.add(update.update_id);
    const handling = handleUpdateSafely(bot, update, log).finally(() => {
      chatGate.done(update);
      inFlight.done(update.update_id);
    });
    if (!(await within(handling, options.answerWithinMs))) {
      log.info({ update: update.update_id }, "webhook answered before the update was handled");
    }
    // Telegram may have given up waiting by now (its own timeout): send() then writes nothing.
    send(res, 200, TEXT, "");
  };
}

function secretMatches(header: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof header !== "string") return false;
  const given = Buffer.from(header, "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(req: IncomingMessage): Promise<string | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseUpdate(body: string): Update | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (value && typeof value === "object" && Number.isInteger((value as { update_id?: unknown }).update_id)) return value as Update;
  } catch {
    // answered 400 below
  }
  return undefined;
}

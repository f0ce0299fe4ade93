import type { Update } from "grammy/types";
import { chatOf } from "./chat-gate.js";

/**
 * At most `places` chats have updates being worked on at once (UPDATE_CONCURRENCY); the updates of
 * others wait for a place, in the order they came, before the bot builds anything for them.
 *
 * Why: on a busy bot, every update let in at once is half-handled at the same time, each holding its
 * context, its conversation's replay and a few dozen suspended frames until the others let it finish.
 * The load bench measured that sharing in the garbage collector's CPU, the slowest steps and the peak
 * memory. Bounded, an update is done soon after it starts, and the waiting ones are the plain objects
 * Telegram sent. A bound inside the bot (after its per-chat ordering) kept the contexts and frames, and
 * measured a third of the gain.
 *
 * A chat's updates go to the bot one at a time (the bot handles them so anyway), each taking a place at
 * the end of the line once the one before it is done: an agent's forwarded stack of cards takes one
 * place, not all of them, and waits its turn beside the customers'. A chatless update takes one too.
 */
export interface WorkPlaces {
  /** Resolves when the update may go to the bot: its chat's update before it is done, and a place is its. */
  enter(update: Update): Promise<void> | undefined;
  /** The update has been handled (or has failed): its place goes on, and its chat's next update queues. */
  leave(update: Update): void;
  /**
   * Runs `work` (a wait for Brainysoft); once it has taken `asideAfterMs`, without the update's place,
   * which it takes back when the work is done, before any update that has not started. A slow CRM must
   * not hold everybody else up, and the customer who waited for it must not wait for everybody else's
   * turn as well (a plain semaphore's end of the line). A quick answer keeps the place: letting it go
   * for every call let in more updates at once, which is what the places are there to prevent.
   */
  aside<T>(work: () => Promise<T>): Promise<T>;
  /** Updates waiting for a place now (for /metrics: a bot that keeps some waiting has too few). */
  waiting(): number;
}

/** How long a wait for Brainysoft holds its place before it lets it go (see `aside`). */
export const ASIDE_AFTER_MS = 250;

export function createWorkPlaces(places: number, asideAfterMs = ASIDE_AFTER_MS): WorkPlaces {
  let free = places;
  // At most one entry per update in flight, which the runner bounds (500): arrays are enough.
  const returning: Array<() => void> = [];
  const arriving: Array<() => void> = [];
  /** Chats with an update in flight: what starts each of their next updates, in order. */
  const chats = new Map<number, Array<() => void>>();

  const take = (line: Array<() => void>): Promise<void> | undefined => {
    if (free > 0) {
      free -= 1;
      return undefined;
    }
    return new Promise((resolve) => line.push(resolve));
  };
  const release = () => {
    const next = returning.shift() ?? arriving.shift();
    if (next) next();
    else free += 1;
  };

  return {
    enter(update) {
      const chatId = chatOf(update)?.id;
      if (chatId === undefined) return take(arriving);
      const waiting = chats.get(chatId);
      if (!waiting) {
        chats.set(chatId, []);
        return take(arriving);
      }
      // Behind the chat's update in flight; then at the end of the line, as if it had just come.
      return new Promise<void>((start) => waiting.push(start)).then(() => take(arriving));
    },
    leave(update) {
      release();
      const chatId = chatOf(update)?.id;
      const waiting = chatId === undefined ? undefined : chats.get(chatId);
      const next = waiting?.shift();
      if (next) next();
      else if (chatId !== undefined) chats.delete(chatId);
    },
    async aside(work) {
      let aside = false;
      const timer = setTimeout(() => {
        aside = true;
        release();
      }, asideAfterMs);
      try {
        return await work();
      } finally {
        clearTimeout(timer);
        if (aside) await take(returning);
      }
    },
    waiting: () => arriving.length + returning.length,
  };
}

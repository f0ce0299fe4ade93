import type { Logger } from "../logger.js";
import type { Coordination, Leadership } from "../store/types.js";
import type { Poller } from "./polling.js";

export interface PollingLeaderOptions {
  coordination: Pick<Coordination, "tryLeadership">;
  /** Starts long polling (and deletes a webhook left set); called each time this replica becomes the leader. */
  startPolling(): Promise<Poller>;
  log: Logger;
  /** How often a replica that does not lead asks again; a dead leader is replaced within about this. Default 1 s. */
  retryMs?: number;
}

/** What app.ts needs of polling, whether this replica leads or stands by. */
export interface LeaderPoller extends Pick<Poller, "stop"> {
  /** Updates taken and not yet handled, on this replica. */
  inFlightSize(): number;
  /** True while this replica polls, or stands by ready to take over; false once stopped or polling failed for good. */
  isRunning(): boolean;
  isLeader(): boolean;
}

const LEADERSHIP = "telegram-polling";

/**
 * Long polling by one replica at a time: Telegram answers a second getUpdates with 409, and two
 * pollers would each take half the updates. The replica holding the leadership (store.coordination)
 * polls; the others ask for it every `retryMs`, and take over when the leader dies (its lock goes
 * with its connection). A leader that loses the lock (its store connection broke) stops polling at
 * once, without confirming: the new leader gets those updates again, and the per-chat lock and the
 * update de-duplication make a second handling a no-op.
 */
export function pollAsLeader(options: PollingLeaderOptions): LeaderPoller {
  const { log } = options;
  const retryMs = options.retryMs ?? 1_000;
  let poller: Poller | undefined;
  let leadership: Leadership | undefined;
  let stopped = false;
  let failed = false;
  let wake = () => {};

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function lead(held: Leadership): Promise<void> {
    leadership = held;
    log.info("this replica leads: polling Telegram");
    let current: Poller;
    try {
      current = await options.startPolling();
    } catch (error) {
      log.warn({ err: error }, "could not start polling; asking again for the leadership later");
      await held.release();
      leadership = undefined;
      await pause(retryMs);
      return;
    }
    if (stopped) {
      await current.stop(0, { confirm: false });
      return;
    }
    poller = current;
    // Polling ends by itself only when Telegram refuses it for good (401, 409): then nobody here polls.
    const refused = new Promise<"refused">((resolve) => {
      const check = setInterval(() => {
        if (!current.isRunning()) {
          clearInterval(check);
          resolve("refused");
        }
      }, 500);
      void held.lost.then(() => clearInterval(check));
    });
    const ended = await Promise.race([held.lost.then(() => "lost" as const), refused]);
    if (stopped) return;
    if (ended === "lost") {
      log.warn("polling leadership lost with the store connection: this replica stops polling");
      await current.stop(0, { confirm: false });
    } else {
      failed = true;
      await held.release();
    }
    poller = undefined;
    leadership = undefined;
  }

  async function loop(): Promise<void> {
    while (!stopped && !failed) {
      const held = await options.coordination.tryLeadership(LEADERSHIP).catch((error: unknown) => {
        log.warn({ err: error }, "could not ask for the polling leadership");
        return undefined;
      });
      if (stopped) {
        await held?.release();
        return;
      }
      if (held) await lead(held);
      else await pause(retryMs);
    }
  }
  const looping = loop().catch((error: unknown) => {
    failed = true;
    log.error({ err: error }, "polling stopped: the leader loop failed");
  });

  return {
    inFlightSize: () => poller?.inFlight.size ?? 0,
    isRunning: () => !stopped && !failed && (poller === undefined || poller.isRunning()),
    isLeader: () => poller !== undefined,
    async stop(withinMs) {
      stopped = true;
      wake();
      const current = poller;
      const result = current ? await current.stop(withinMs) : { drained: true };
      await leadership?.release().catch(() => undefined);
      await looping;
      return result;
    },
  };
}

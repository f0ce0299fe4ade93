import type { Logger } from "../logger.js";

/**
 * A signal repeated within this time is the same stop delivered twice, not someone insisting: npm
 * forwards the signal it gets to the bot, and a terminal's Ctrl-C or systemd's stop (every process of
 * the unit) reach npm and the bot alike, so one stop arrives twice within milliseconds.
 */
export const REPEAT_WINDOW_MS = 1_000;
/** How often the parent is looked at: an orphan stops within about this long. */
const PARENT_CHECK_MS = 1_000;

export interface StopSignalsDeps {
  /** The graceful stop. */
  stop(): Promise<void>;
  exit(code: number): void;
  log: Logger;
  /** Where SIGTERM and SIGINT arrive: the process. */
  signals: { on(signal: "SIGTERM" | "SIGINT", listener: (signal: NodeJS.Signals) => void): unknown };
  /**
   * The parent's pid, when the bot must not outlive the process that started it (npm): should that
   * one die without passing a signal on (SIGKILL, a crash), the bot is re-parented and stops itself
   * rather than keep polling Telegram unsupervised next to its replacement.
   */
  parentPid?: (() => number) | undefined;
  now?: () => number;
}

/**
 * SIGTERM or SIGINT (or the parent gone) starts the graceful stop and exits 0 when it is done, 1 when
 * it failed. The same signal again within REPEAT_WINDOW_MS is ignored; any signal after that exits
 * at once with 1: whatever was in flight is in the store and is delivered after the next start.
 */
export function stopOnSignals(deps: StopSignalsDeps): void {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  let stoppingSince: number | undefined;

  const begin = (why: Record<string, unknown>) => {
    stoppingSince = now();
    log.info(why, "shutting down");
    deps.stop().then(
      () => deps.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        deps.exit(1);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince === undefined) return begin({ signal });
    if (now() - stoppingSince < REPEAT_WINDOW_MS) return log.info({ signal }, "signal repeated: already shutting down");
    log.warn({ signal }, "second signal: exiting at once");
    deps.exit(1);
  };
  deps.signals.on("SIGTERM", onSignal);
  deps.signals.on("SIGINT", onSignal);

  const parentPid = deps.parentPid;
  if (parentPid) {
    const parent = parentPid();
    const watch = setInterval(() => {
      if (parentPid() === parent) return;
      clearInterval(watch);
      if (stoppingSince === undefined) begin({ reason: "parent process gone", parent });
    }, PARENT_CHECK_MS);
    // Only a watch: it must not keep a stopped bot alive.
    watch.unref();
  }
}

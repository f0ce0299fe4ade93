/**
 * When a waiting lead is tried again. Retry times are stored as Unix ms (they must survive a
 * restart) but read off a monotonic clock started at the wall-clock time of this process's start: a
 * clock set forward would otherwise send every waiting lead at once, and one set back would stall
 * them all for as long as the jump.
 */
export interface RetrySchedule {
  /** Now, on the scale retry times are stored in. */
  now(): number;
  /** When a lead that has had `attempts` attempts goes again: doubling from the base, capped, with jitter. */
  nextAttemptAt(attempts: number): number;
  /** Anything due further ahead than this from now was scheduled by a clock since set back: it is due now. */
  readonly horizonMs: number;
}

export interface RetryScheduleOptions {
  /** Wall-clock Unix ms. */
  now: () => number;
  /** Monotonic ms. */
  clock: () => number;
  random: () => number;
  /** First retry after about baseDelayMs, doubling, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export function createRetrySchedule(options: RetryScheduleOptions): RetrySchedule {
  const { clock, random, baseDelayMs, maxDelayMs } = options;
  const startedWall = options.now();
  const startedMono = clock();
  const now = () => Math.round(startedWall + (clock() - startedMono));
  return {
    now,
    nextAttemptAt(attempts) {
      const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempts - 1));
      // Jitter spreads the retries of a burst queued during one outage.
      return now() + Math.round(exponential * (0.5 + random() / 2));
    },
    horizonMs: 2 * maxDelayMs,
  };
}

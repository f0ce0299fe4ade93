/**
 * A reachability probe that a storm of readiness checks cannot multiply: its result is reused for
 * `cacheMs`, callers that come while one runs share it, and it is cancelled once every caller has
 * stopped waiting (each caller's signal: a /readyz client gone, or its time limit).
 */

export interface ProbeResult {
  reachable: boolean;
  latencyMs: number;
  detail?: string;
}

export interface SharedProbeOptions {
  /** How long a finished probe's result is reused, reachable or not. */
  cacheMs: number;
  /** Milliseconds, monotonic. */
  now: () => number;
}

interface Flight {
  promise: Promise<ProbeResult>;
  controller: AbortController;
  waiters: number;
  settled: boolean;
}

/** The reason a caller's signal gives, as an Error to reject with (AbortSignal's own reasons are Errors). */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("the probe was cancelled");
}

export function createSharedProbe(
  probe: (signal: AbortSignal) => Promise<ProbeResult>,
  options: SharedProbeOptions,
): (signal?: AbortSignal) => Promise<ProbeResult> {
  let cached: { at: number; result: ProbeResult } | undefined;
  let flight: Flight | undefined;

  function start(): Flight {
    const controller = new AbortController();
    const started: Flight = { controller, waiters: 0, settled: false, promise: Promise.resolve({ reachable: false, latencyMs: 0 }) };
    const landed = () => {
      started.settled = true;
      if (flight === started) flight = undefined;
    };
    started.promise = probe(controller.signal).then(
      (result) => {
        landed();
        // A probe cancelled because nobody waited any more says nothing about Brainysoft.
        if (!controller.signal.aborted) cached = { at: options.now(), result };
        return result;
      },
      (error: unknown) => {
        landed();
        throw error;
      },
    );
    flight = started;
    return started;
  }

  return (signal) => {
    if (cached && options.now() - cached.at < options.cacheMs) return Promise.resolve(cached.result);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const joined = flight ?? start();
    joined.waiters += 1;
    return new Promise<ProbeResult>((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (left) return false;
        left = true;
        signal?.removeEventListener("abort", onAbort);
        joined.waiters -= 1;
        return true;
      };
      const onAbort = () => {
        if (!leave() || signal === undefined) return;
        if (joined.waiters === 0 && !joined.settled) {
          // The last one waiting is gone: free the connection, and let the next caller start afresh.
          if (flight === joined) flight = undefined;
          joined.controller.abort();
        }
        reject(abortReason(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      joined.promise.then(
        (result) => {
          if (leave()) resolve(result);
        },
        (error: unknown) => {
          if (leave()) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  };
}

import type { BrainysoftClient } from "../brainysoft/client.js";
import { within } from "../within.js";
import type { Store } from "../store/types.js";

/** What /readyz answers, as JSON. `ready` is the status code: 200 when true, 503 when false. */
export interface Readiness {
  ready: boolean;
  /** Whether updates are being taken (polling running, or webhook accepting); false while stopping. */
  updates: { ok: boolean; mode: "polling" | "webhook" };
  store: { ok: boolean; pendingLeads?: number; error?: string };
  telegram: { ok: boolean; latencyMs: number; error?: string };
  /** Reported, not required: while Brainysoft is away leads are saved and sent later. */
  brainysoft: { reachable: boolean; latencyMs: number; detail?: string };
}

export interface ReadinessDeps {
  mode: "polling" | "webhook";
  takingUpdates(): boolean;
  store: Pick<Store, "leads">;
  /** Undefined while the store takes writes; else why not (reads alone do not show a full disk). */
  storeWriteProblem?: () => { error: string } | undefined;
  /** A Bot API call that proves Telegram answers with our token (getMe). */
  telegramProbe(signal: AbortSignal): Promise<unknown>;
  /** Its ping caches, shares and cancels itself, on its own connections (see the client). */
  brainysoft: Pick<BrainysoftClient, "ping">;
  /** Per check; a probe must answer well within the orchestrator's own timeout. Default 3 s. */
  timeoutMs?: number;
  /** How long a successful Telegram check is reused, so frequent probes do not each call getMe. Default 5 s. */
  telegramCacheMs?: number;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The promise's value, or an error naming `what` once `ms` have passed without an answer. */
async function answerWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(await within(promise, ms))) throw new Error(`${what} did not answer within ${ms} ms`);
  return promise;
}

/**
 * The /readyz check. Runs the checks in parallel: the answer takes as long as the slowest, never more
 * than the timeout. A successful Telegram check is reused for a few seconds (failures never are, so an
 * outage shows at the next probe).
 */
export function createReadinessCheck(deps: ReadinessDeps): (signal?: AbortSignal) => Promise<Readiness> {
  const timeoutMs = deps.timeoutMs ?? 3_000;
  const telegramCacheMs = deps.telegramCacheMs ?? 5_000;
  let telegramOk: { at: number; result: Readiness["telegram"] } | undefined;

  async function checkTelegram(): Promise<Readiness["telegram"]> {
    if (telegramOk && performance.now() - telegramOk.at < telegramCacheMs) return telegramOk.result;
    const started = performance.now();
    try {
      await deps.telegramProbe(AbortSignal.timeout(timeoutMs));
      const result = { ok: true, latencyMs: Math.round(performance.now() - started) };
      telegramOk = { at: performance.now(), result };
      return result;
    } catch (error) {
      telegramOk = undefined;
      // grammY's messages name the method, never the token.
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: describe(error) };
    }
  }

  /** `signal`: the asker is gone (a /readyz client disconnected): stop waiting for Brainysoft. */
  async function checkBrainysoft(signal: AbortSignal | undefined): Promise<Readiness["brainysoft"]> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const wait = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      return await answerWithin(deps.brainysoft.ping(wait), timeoutMs, "Brainysoft");
    } catch (error) {
      const detail = timeout.aborted ? `Brainysoft did not answer within ${timeoutMs} ms` : describe(error);
      return { reachable: false, latencyMs: Math.round(performance.now() - started), detail };
    }
  }

  return async (signal?: AbortSignal) => {
    const [store, telegram, brainysoft] = await Promise.all([
      (async (): Promise<Readiness["store"]> => {
        try {
          const counts = await answerWithin(deps.store.leads.countByState(), timeoutMs, "the store");
          const writes = deps.storeWriteProblem?.();
          if (writes) return { ok: false, pendingLeads: counts.pending, error: `writes fail: ${writes.error}` };
          return { ok: true, pendingLeads: counts.pending };
        } catch (error) {
          return { ok: false, error: describe(error) };
        }
      })(),
      checkTelegram(),
      checkBrainysoft(signal),
    ]);
    const updates = { ok: deps.takingUpdates(), mode: deps.mode };
    return { ready: updates.ok && store.ok && telegram.ok, updates, store, telegram, brainysoft };
  };
}

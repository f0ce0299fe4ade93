/**
 * Whether the store takes writes: for /readyz and for the admins' alert. A full disk, a file system
 * remounted read-only or lost permissions let the bot read everything and write nothing, so a read
 * (what readiness used to ask) says nothing about it; the writes themselves do.
 *
 * The store is failing from a failed write until a write succeeds again and the outbox holds no result
 * it could not record (it retries those itself): that is what readiness reports. While the last write
 * failed, a tiny probe write runs with backoff, so an idle bot also notices that writes work again.
 *
 * Admins hear of an episode once: it starts at the first failure and ends only after writes have
 * worked for `settleMs` without a new failure, so a disk that is nearly full (some writes fit, others
 * do not) or one kind of write that keeps failing gives one alert, not one per write.
 */
import type { Logger } from "../logger.js";
import type { Store } from "./types.js";
import { errorCode } from "../guards.js";

export interface WriteProblem {
  /** Unix ms of the first failed write of this episode (for messages). */
  since: number;
  /** Failed writes in this episode. */
  failures: number;
  /** The last failure, one line (e.g. "SQLITE_FULL: database or disk is full"). */
  error: string;
}

export interface WriteHealthEvents {
  /** A failure episode began: told once, however many writes fail in it. */
  failing?(problem: WriteProblem): void;
  /** It ended: writes have worked, with nothing owed, for settleMs. `durationMs` runs to the first success. */
  recovered?(problem: WriteProblem & { durationMs: number }): void;
}

export interface WriteHealth {
  wrote(operation: string): void;
  failed(operation: string, error: unknown): void;
  /** How many results the outbox holds in memory because the store refused them. */
  owed(count: number): void;
  /** Undefined while writes work (and nothing is owed). */
  problem(): WriteProblem | undefined;
  /**
   * The last write failed because the store could not be reached (a networked store's connection):
   * no update should be taken then, since none could be recorded; Telegram keeps them meanwhile.
   */
  unreachable(): boolean;
  stop(): void;
}

export interface WriteHealthOptions {
  /** One small real write; rejects when the store cannot write. */
  probe(): Promise<void>;
  log: Logger;
  events?: WriteHealthEvents;
  /** Probe backoff while the last write failed: from probeBaseMs, doubling, capped at probeMaxMs. */
  probeBaseMs?: number;
  probeMaxMs?: number;
  /** How long writes must work before an episode counts as over. Default 60 s. */
  settleMs?: number;
  now?: () => number;
  /** Monotonic milliseconds, for the episode's length. */
  clock?: () => number;
}

/** "SQLITE_FULL: database or disk is full": what failed, in one line. */
export function describeWriteError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const line = code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
  return line.replace(/\s+/g, " ").trim().slice(0, 200);
}

/** Connection-level codes: node's socket errors and PostgreSQL's class 08 and 57P (server shutting down). */
const UNREACHABLE_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN|08\d{3}|57P0[1-3])$/;

/** True for a failure to reach the store at all, as opposed to a store that answered and refused. */
export function isUnreachable(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && UNREACHABLE_CODES.test(code)) return true;
  const message = error instanceof Error ? error.message : String(error);
  // node-postgres says these without a code.
  return /connection terminated|timeout exceeded when trying to connect|connection error|not queryable/i.test(message);
}

export function createWriteHealth(options: WriteHealthOptions): WriteHealth {
  const { log } = options;
  const now = options.now ?? Date.now;
  const clock = options.clock ?? (() => performance.now());
  const probeBaseMs = options.probeBaseMs ?? 1_000;
  const probeMaxMs = options.probeMaxMs ?? 30_000;
  const settleMs = options.settleMs ?? 60_000;
  let lastWriteFailed = false;
  let lastFailureUnreachable = false;
  let owedResults = 0;
  /** From the first failure until writes have worked for settleMs; `okAt`: when they started working. */
  let episode: (WriteProblem & { startedAt: number; okAt?: number | undefined; settling?: NodeJS.Timeout | undefined }) | undefined;
  let probe: { timer: NodeJS.Timeout | undefined; delayMs: number; running: boolean } | undefined;
  let stopped = false;

  const failingNow = () => lastWriteFailed || owedResults > 0;
  const problemOf = (e: WriteProblem): WriteProblem => ({ since: e.since, failures: e.failures, error: e.error });

  /** Writes work again: the episode ends once they have kept working for settleMs. */
  function settle(): void {
    const current = episode;
    if (!current || failingNow() || current.okAt !== undefined || stopped) return;
    current.okAt = clock();
    log.info({ failures: current.failures }, "store writes work again");
    current.settling = setTimeout(() => {
      episode = undefined;
      options.events?.recovered?.({ ...problemOf(current), durationMs: Math.round((current.okAt ?? clock()) - current.startedAt) });
    }, settleMs);
    current.settling.unref();
  }

  function scheduleProbe(): void {
    if (stopped || !lastWriteFailed || probe?.timer || probe?.running) return;
    probe ??= { timer: undefined, delayMs: probeBaseMs, running: false };
    const state = probe;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      state.running = true;
      options
        .probe()
        .catch(() => {
          // Counted by the watching store; the next probe waits longer.
          state.delayMs = Math.min(probeMaxMs, state.delayMs * 2);
        })
        .finally(() => {
          state.running = false;
          scheduleProbe();
        });
    }, state.delayMs);
    state.timer.unref();
  }

  return {
    wrote() {
      lastWriteFailed = false;
      if (probe?.timer) clearTimeout(probe.timer);
      probe = undefined;
      settle();
    },
    failed(operation, error) {
      lastWriteFailed = true;
      lastFailureUnreachable = isUnreachable(error);
      const line = describeWriteError(error);
      if (episode) {
        episode.failures += 1;
        episode.error = line;
        // Failing again before it settled: the same episode goes on.
        if (episode.settling) clearTimeout(episode.settling);
        episode.settling = undefined;
        if (episode.okAt !== undefined) log.warn({ operation, error: line }, "store writes failing again");
        episode.okAt = undefined;
      } else {
        episode = { since: now(), startedAt: clock(), failures: 1, error: line };
        log.error({ operation, error: line }, "store writes failing");
        options.events?.failing?.(problemOf(episode));
      }
      scheduleProbe();
    },
    owed(count) {
      const before = failingNow();
      owedResults = count;
      if (before && !failingNow()) settle();
    },
    problem() {
      return episode && failingNow() ? problemOf(episode) : undefined;
    },
    unreachable: () => lastWriteFailed && lastFailureUnreachable,
    stop() {
      stopped = true;
      if (probe?.timer) clearTimeout(probe.timer);
      if (episode?.settling) clearTimeout(episode.settling);
      probe = undefined;
    },
  };
}

type Method = (...args: never[]) => Promise<unknown>;

/** The same method, reporting to `health` whether its write went through; errors still reach the caller. */
function watched<F extends Method>(health: WriteHealth, operation: string, write: F): F {
  // Built once: a write costs its promise and nothing more (no suspended frame while it waits for its commit).
  const wrote = (result: unknown) => {
    health.wrote(operation);
    return result;
  };
  const failed = (error: unknown) => {
    health.failed(operation, error);
    throw error;
  };
  const wrapper = (...args: Parameters<F>): Promise<unknown> => {
    try {
      return write(...args).then(wrote, failed);
    } catch (error) {
      // A write that throws before its promise fails as one that rejects.
      return Promise.reject(error).catch(failed);
    }
  };
  return wrapper as F; // same parameters and result as `write`
}

/** The store with every write reported to `health`; reads pass through untouched. */
export function watchWrites(store: Store, health: WriteHealth): Store {
  const { leads, updates, events, roles, conversations } = store;
  const w = <F extends Method>(operation: string, write: F) => watched(health, operation, write);
  return {
    leads: {
      ...leads,
      insertUnlessDuplicate: w("leads.insert", leads.insertUnlessDuplicate),
      markDelivered: w("leads.markDelivered", leads.markDelivered),
      markRetry: w("leads.markRetry", leads.markRetry),
      markFinal: w("leads.markFinal", leads.markFinal),
      requeue: w("leads.requeue", leads.requeue),
      markNotified: w("leads.markNotified", leads.markNotified),
      leaseDue: w("leads.leaseDue", leads.leaseDue),
      leaseNamed: w("leads.leaseNamed", leads.leaseNamed),
      releaseLease: w("leads.releaseLease", leads.releaseLease),
    },
    updates: { ...updates, markHandled: w("updates.markHandled", updates.markHandled) },
    counters: { hit: w("counters.hit", store.counters.hit) },
    coordination: store.coordination,
    ready: store.ready,
    events: { ...events, record: w("events.record", events.record) },
    roles: { ...roles, addAgent: w("roles.addAgent", roles.addAgent), removeAgent: w("roles.removeAgent", roles.removeAgent) },
    conversations: {
      ...conversations,
      write: w("conversations.write", conversations.write),
      delete: w("conversations.delete", conversations.delete),
    },
    probeWrite: w("probe", store.probeWrite),
    purge: w("purge", store.purge),
    close: store.close,
  };
}

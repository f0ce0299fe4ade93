import type { BrainysoftClient } from "../brainysoft/client.js";
import type { Logger } from "../logger.js";
import { createPhoneFormats, type PhoneFormats } from "../phone.js";
import type { LeadRecord, NewLead, OrphanedLeases, Store } from "../store/types.js";
import type { WriteHealth } from "../store/write-health.js";
import { createDeliveryAttempts } from "./delivery-attempts.js";
import { createResultRecorder } from "./delivery-result.js";
import { createHeldResults } from "./held-results.js";
import { type OutboxListener, observe } from "./outbox-events.js";
import { createOutcomeTeller, outcomeOf } from "./outcome-teller.js";
import { createRetrySchedule } from "./retry-schedule.js";
import type { SubmitOutcome } from "./submit-outcome.js";

/**
 * The durable queue of leads on their way to Brainysoft. Its state is the store (each lead's row:
 * pending with its next attempt's time, or final, and whether the person was told); the parts:
 * - delivery-attempts.ts: one attempt per lead at a time, and the answer-in-time rule;
 * - delivery-result.ts: an attempt's result classified and stored, or held while the store refuses it;
 * - retry-schedule.ts: when a waiting lead goes again;
 * - outcome-teller.ts: telling a final outcome through the listener, once;
 * - outbox-events.ts: the events the notifier, journal, alerts and metrics subscribe to.
 * This file receives leads, sweeps the due ones on a timer, and starts and stops it all.
 */

export interface LeadOutbox {
  /**
   * Write-ahead: the lead is committed before Brainysoft is called, so it survives any failure after
   * this point. Waits for the first attempt at most `answerWithinMs`; a slower attempt goes on and
   * its result reaches the person through the listener. `wait` overrides that limit for one call.
   */
  submit(lead: NewLead, wait?: { answerWithinMs: number }): Promise<SubmitOutcome>;
  /** Retry pending leads whose time has come; runs by itself after start(). */
  deliverDue(): Promise<number>;
  /**
   * An admin's retry: the named leads that are pending, failed or rejected ("all": every pending and
   * failed one) are put back to pending and sent now, except one another replica is sending already. Returns them once their attempts have started;
   * each attempt's outcome settles in the background (and goes to the listener as any other).
   */
  retryNow(ids: number[] | "all"): Promise<RetryStarted[]>;
  /**
   * Starts the retry worker, and tells once every final outcome from before this start that nobody
   * was told (a message that failed, or a crash between the result and the message).
   */
  start(): void;
  /** Stops the timer and the telling of old outcomes, and waits for attempts and a message in flight. */
  stop(): Promise<void>;
}

/** A lead an admin's retry sent again, and its attempt (never rejects). */
export interface RetryStarted {
  lead: LeadRecord;
  outcome: Promise<SubmitOutcome>;
}

export interface OutboxOptions {
  store: Store;
  client: BrainysoftClient;
  log: Logger;
  listener: OutboxListener;
  concurrency: number;
  duplicateWindowMs: number;
  maxAgeMs: number;
  answerWithinMs?: number;
  /** Backoff: first retry after about baseDelayMs, doubling, capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  pollIntervalMs?: number;
  /** Wall-clock Unix ms: what is stored (creation, updates), and a lead's age, which outlives the process. */
  now?: () => number;
  /** The app's one reading per phone, shared with the journal (default: the outbox's own). */
  phones?: PhoneFormats | undefined;
  /** Monotonic ms (default performance.now): how long to wait, which a clock set forward or back must not change. */
  clock?: () => number;
  random?: () => number;
  /** A result the store refused is written again after about writeRetryBaseMs, doubling, capped at writeRetryMaxMs. */
  writeRetryBaseMs?: number;
  writeRetryMaxMs?: number;
  /** Told how many results the outbox holds because the store refused them: readiness and the admins' alert. */
  writeHealth?: Pick<WriteHealth, "owed">;
  /**
   * Replicas sharing a store: who this outbox is (unique per process), and how long one attempt's lease
   * keeps the other replicas off a lead (default 5 min: far above the longest attempt, so an attempt
   * never outlives it; a replica that died mid-attempt is taken over once it expires).
   */
  owner?: string;
  leaseMs?: number;
  /**
   * How long after start the outcomes left untold are looked for (default 0). With replicas, another
   * one may be telling an outcome it has just stored; it is done well within this.
   */
  untoldGraceMs?: number;
}

export function createLeadOutbox(options: OutboxOptions): LeadOutbox {
  const { store, log, listener } = options;
  const now = options.now ?? Date.now;
  const phones = options.phones ?? createPhoneFormats();
  const answerWithinMs = options.answerWithinMs ?? 20_000;
  const owner = options.owner ?? `outbox-${process.pid}`;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const schedule = createRetrySchedule({
    now,
    clock: options.clock ?? (() => performance.now()),
    random: options.random ?? Math.random,
    baseDelayMs: options.baseDelayMs ?? 2_000,
    maxDelayMs: options.maxDelayMs ?? 5 * 60_000,
  });
  const held = createHeldResults({
    log,
    baseMs: options.writeRetryBaseMs ?? 1_000,
    maxMs: options.writeRetryMaxMs ?? 30_000,
    onCount: (count) => options.writeHealth?.owed(count),
  });
  const teller = createOutcomeTeller({ store, listener, log, held, maxAgeMs: options.maxAgeMs });
  const record = createResultRecorder({ store, log, held, schedule, now, maxAgeMs: options.maxAgeMs, tell: teller.tell });
  const attempts = createDeliveryAttempts({
    client: options.client,
    concurrency: options.concurrency,
    listener,
    log,
    record,
    teller,
    held,
  });
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;
  let telling: Promise<number> | undefined;
  let stopped = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let endGrace = () => {};

  /**
   * When each submission under way leased its new lead, until its attempt is under way: the sweep
   * leaves this replica's own leases from then on alone. An older one of ours with no attempt here is
   * an orphan (an insert that committed although its answer was lost): the sweep takes it back.
   */
  const submitting = new Map<number, number>();
  let submissions = 0;

  async function submit(newLead: NewLead, wait?: { answerWithinMs: number }): Promise<SubmitOutcome> {
    // Results held in memory first: a refusal not yet stored would make the corrected lead look like a duplicate.
    if (held.size > 0) await held.writeOwed();
    const t = now();
    const key = ++submissions;
    submitting.set(key, t);
    let answer: Promise<SubmitOutcome>;
    try {
      // Its first attempt is this replica's (below): leased, so that no other replica's sweep sends it meanwhile.
      const inserted = await store.leads.insertUnlessDuplicate(newLead, options.duplicateWindowMs, t, { owner, until: t + leaseMs });
      if (inserted.duplicate) return await duplicateOf(inserted.lead, newLead);
      const lead = inserted.lead;
      // Only for a log that writes info lines; the mask comes from the reading the journal shares.
      if (log.isLevelEnabled("info")) log.info({ lead: lead.id, phone: phones.mask(lead.phone), source: lead.source }, "lead received");
      await observe(log, "received", lead.id, () => listener.received?.(lead));
      // The attempt is under way (busy) as soon as this returns its promise.
      answer = attempts.answerWithin(lead, wait?.answerWithinMs ?? answerWithinMs);
    } finally {
      submitting.delete(key);
    }
    return answer;
  }

  /** This replica's leases it has no attempt for: taken before every submission under way began, less a second for the clock. */
  function orphans(): OrphanedLeases {
    let leasedBefore = now();
    for (const t of submitting.values()) leasedBefore = Math.min(leasedBefore, t);
    return { leasedBefore: leasedBefore - 1_000, except: attempts.busyIds() };
  }

  /** A submission that matched a recent lead (`stored`): what the bot knows of it, also what the store has not taken yet. */
  async function duplicateOf(stored: LeadRecord, submitted: NewLead): Promise<SubmitOutcome> {
    const known = held.get(stored.id)?.lead;
    if (known?.state === "rejected" || known?.state === "failed") {
      // It matched only because its refusal is not stored: no honest answer but "try again later".
      throw new Error(`lead ${stored.id} was refused, but the store has not taken that yet`);
    }
    const lead = known ?? stored;
    await observe(log, "duplicate", lead.id, () => listener.duplicate?.(lead, submitted));
    // Its creator is answered with its number (lead-text.ts): the "delivered later" message would repeat it.
    if (lead.userId === submitted.userId && lead.state === "delivered" && !lead.notified) await teller.markTold(outcomeOf(lead));
    return { kind: "duplicate", lead };
  }

  async function deliverDue(): Promise<number> {
    if (sweeping) return sweeping;
    sweeping = (async () => {
      // Leased, so that no other replica sends these meanwhile; as many as can be sent at once, so that a
      // lease never waits for a place.
      const due = await store.leads.leaseDue(schedule.now(), options.concurrency, leaseMs, owner, schedule.horizonMs, orphans());
      const fresh = due.filter((lead) => !attempts.busy(lead.id));
      await Promise.all(fresh.map(attempts.run));
      return fresh.length;
    })().finally(() => (sweeping = undefined));
    return sweeping;
  }

  async function retryNow(ids: number[] | "all"): Promise<RetryStarted[]> {
    const t = now();
    const leads =
      ids === "all"
        ? await store.leads.listByState(["pending", "failed"], 1000)
        : (await Promise.all(ids.map((id) => store.leads.get(id)))).filter((l): l is LeadRecord => l !== undefined);
    for (const lead of leads) if (lead.state !== "pending") await store.leads.requeue(lead.id, t);
    // Leased as a sweep's are, so that no other replica sends one meanwhile; one another replica is sending is left to it.
    const taken = await store.leads.leaseNamed(
      leads.map((l) => l.id),
      t,
      leaseMs,
      owner,
    );
    // run() gives a lead already in flight here the attempt under way, not a second one.
    return taken.map((lead) => ({ lead, outcome: attempts.run(lead) }));
  }

  /** After the grace: outcomes from before this start that nobody was told. */
  function tellUntoldAfter(graceMs: number): Promise<number> {
    const startedAt = now();
    const grace = new Promise<void>((resolve) => {
      endGrace = resolve;
      graceTimer = setTimeout(resolve, graceMs);
    });
    return grace
      .then(() => teller.tellUntold(startedAt, () => stopped))
      .then((told) => {
        if (told > 0) log.info({ told }, "told outcomes left untold before the start");
        return told;
      })
      .catch((error: unknown) => {
        log.error({ err: error }, "telling untold outcomes failed");
        return 0;
      });
  }

  return {
    submit,
    deliverDue,
    retryNow,
    start() {
      stopped = false;
      held.start();
      telling = tellUntoldAfter(options.untoldGraceMs ?? 0);
      const interval = options.pollIntervalMs ?? 1_000;
      const tick = () => {
        deliverDue()
          .catch((error: unknown) => log.error({ err: error }, "delivery sweep failed"))
          .finally(() => {
            if (timer) timer = setTimeout(tick, interval);
          });
      };
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(graceTimer);
      endGrace();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await Promise.allSettled([attempts.settled(), telling]);
      await held.stop();
    },
  };
}

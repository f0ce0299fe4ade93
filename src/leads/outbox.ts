import type { BrainysoftClient, CreateLeadResult } from "../brainysoft/client.js";
import type { Logger } from "../logger.js";
import { maskPhone } from "../phone.js";
import { within } from "../within.js";
import type { DeliveryErrorClass, LeadRecord, LeadStore, NewLead, Store } from "../store/types.js";
import type { WriteHealth } from "../store/write-health.js";
import { createHeldResults, type OwedWrite } from "./held-results.js";
import { createLimiter } from "./limiter.js";
import type { SubmitOutcome } from "./submit-outcome.js";

export type { SubmitOutcome };

/** Things that happen to a lead after the person was answered, for them and for the admins. */
export interface OutboxListener {
  /** A lead the person was told is queued has now been delivered. */
  delivered?(lead: LeadRecord, brainysoftId: number): Promise<void> | void;
  /** A queued lead reached a final state without an id (rejected later, or gave up). */
  gaveUp?(lead: LeadRecord, state: "rejected" | "failed"): Promise<void> | void;
  /** Every attempt's classified result (for alerts, metrics and the event journal). */
  attempted?(lead: LeadRecord, result: CreateLeadResult): Promise<void> | void;
  /** A new lead was committed, before its first attempt. Observers only: an error here is logged and ignored. */
  received?(lead: LeadRecord): Promise<void> | void;
  /** A submission matched a recent lead (`lead`) and created nothing; `submitted` is what was handed in. Observers only. */
  duplicate?(lead: LeadRecord, submitted: NewLead): Promise<void> | void;
  /**
   * An attempt's result has been stored: the lead's new state in `outcome`, the call in `result`;
   * `awaited` when the person is still waiting for this answer (so they hear it directly). Observers only.
   */
  settled?(outcome: SubmitOutcome, result: CreateLeadResult, awaited: boolean): Promise<void> | void;
}

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
   * failed one) are put back to pending and sent now. Returns them once their attempts have started;
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

/** The writes that record an attempt's result. */
type ResultWrites = Pick<LeadStore, "markDelivered" | "markFinal" | "markRetry">;

const FIELD_ERRORS = { firstName: "field-firstName", mobilePhone: "field-mobilePhone" } as const;

export function createLeadOutbox(options: OutboxOptions): LeadOutbox {
  const { store, client, log, listener } = options;
  const now = options.now ?? Date.now;
  const clock = options.clock ?? (() => performance.now());
  const random = options.random ?? Math.random;
  const answerWithinMs = options.answerWithinMs ?? 20_000;
  const baseDelayMs = options.baseDelayMs ?? 2_000;
  const maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
  const limit = createLimiter(options.concurrency);
  const owner = options.owner ?? `outbox-${process.pid}`;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  // Retry times are stored as Unix ms (they must survive a restart) but read off a monotonic clock
  // started at the wall-clock time of this process's start: a clock set forward would otherwise send
  // every waiting lead at once, and one set back would stall them all for as long as the jump.
  const startedWall = now();
  const startedMono = clock();
  const scheduleNow = () => Math.round(startedWall + (clock() - startedMono));
  /** Results the store refused: such a lead is never sent again until they are written. */
  const held = createHeldResults({
    log,
    baseMs: options.writeRetryBaseMs ?? 1_000,
    maxMs: options.writeRetryMaxMs ?? 30_000,
    onCount: (count) => options.writeHealth?.owed(count),
  });
  /** Leads with an attempt in flight: never two attempts for one lead at once. */
  const inFlight = new Map<number, Promise<SubmitOutcome>>();
  /**
   * Leads whose submitter is still waiting for the first attempt. Whichever side ends the wait takes
   * the lead out: the attempt, when it finished in time (the submitter answers), or the submitter,
   * when it answered "queued" (the attempt then tells the result itself). So exactly one tells.
   */
  const awaited = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;
  let telling: Promise<number> | undefined;
  let stopped = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let endGrace = () => {};

  function retryDelay(attempts: number): number {
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempts - 1));
    // Jitter spreads the retries of a burst queued during one outage.
    return Math.round(exponential * (0.5 + random() / 2));
  }

  /** Journal, alerts: their trouble must never stop a delivery, so it is logged and swallowed. */
  async function observe(hook: string, lead: number, call: () => Promise<void> | void): Promise<void> {
    try {
      await call();
    } catch (error) {
      log.error({ err: error, lead, hook }, "outbox listener failed");
    }
  }

  async function attempt(lead: LeadRecord): Promise<SubmitOutcome> {
    const result = await limit(() => client.createLead({ firstName: lead.firstName, mobilePhone: lead.phone, lastName: lead.lastName }));
    await observe("attempted", lead.id, () => listener.attempted?.(lead, result));
    const outcome = await record(lead, result);
    await observe("settled", lead.id, () => listener.settled?.(outcome, result, awaited.has(lead.id)));
    return outcome;
  }

  /**
   * The result stored, or, when the store refuses it, held in memory (and the refused write retried)
   * with the outcome answered as Brainysoft gave it: a lead created in Brainysoft is told with its number.
   */
  async function record(lead: LeadRecord, result: CreateLeadResult): Promise<SubmitOutcome> {
    const writes = owingWrites();
    let outcome: SubmitOutcome;
    try {
      outcome = await recordResult(lead, result, writes.leads);
    } catch (error) {
      // Not a refused write (those are owed, never thrown) but something unforeseen: still, never send again blind.
      log.error({ err: error, lead: lead.id, result: result.kind }, "could not record a delivery result");
      const unknown: SubmitOutcome = { kind: "queued", lead };
      held.hold(unknown, [{ what: "record", write: async () => void (await tell((await recordResult(lead, result, store.leads)).lead)) }]);
      return unknown;
    }
    if (writes.owed.length > 0) held.hold(outcome, writes.owed);
    return outcome;
  }

  /**
   * The writes of a result, made at once; one the store refuses is kept, with every write after it for
   * the same lead (their order matters), instead of thrown.
   */
  function owingWrites(): { leads: ResultWrites; owed: OwedWrite[] } {
    const owed: OwedWrite[] = [];
    const attemptWrite = async (what: string, id: number, write: () => Promise<void>): Promise<void> => {
      if (owed.length === 0) {
        try {
          return await write();
        } catch (error) {
          log.error({ err: error, lead: id, write: what }, "the store refused a delivery result; it is kept and written again");
        }
      }
      owed.push({ what, write });
    };
    return {
      owed,
      leads: {
        markDelivered: (id, brainysoftId, t) => attemptWrite("markDelivered", id, () => store.leads.markDelivered(id, brainysoftId, t)),
        markFinal: (id, state, error, t) => attemptWrite("markFinal", id, () => store.leads.markFinal(id, state, error, t)),
        markRetry: (id, error, next, t) => attemptWrite("markRetry", id, () => store.leads.markRetry(id, error, next, t)),
      },
    };
  }

  async function recordResult(lead: LeadRecord, result: CreateLeadResult, leads: ResultWrites): Promise<SubmitOutcome> {
    const t = now();
    switch (result.kind) {
      case "created":
        await leads.markDelivered(lead.id, result.leadId, t);
        return { kind: "created", lead: { ...lead, state: "delivered", brainysoftId: result.leadId }, brainysoftId: result.leadId };
      case "field-error":
        await leads.markFinal(lead.id, "rejected", FIELD_ERRORS[result.field], t);
        return { kind: "field-error", field: result.field, lead: { ...lead, state: "rejected" } };
      case "rejected":
        await leads.markFinal(lead.id, "rejected", "rejected", t);
        return { kind: "rejected", lead: { ...lead, state: "rejected" } };
      case "unconfirmed":
        // Maybe created: held like a refusal (no automatic retry, admins told), told apart by lastError.
        await store.leads.markFinal(lead.id, "rejected", "unconfirmed", t);
        return { kind: "rejected", lead: { ...lead, state: "rejected", lastError: "unconfirmed" } };
      case "auth":
      case "transient":
        return keepOrGiveUp(lead, result.kind, t, leads);
    }
  }

  async function keepOrGiveUp(lead: LeadRecord, error: DeliveryErrorClass, t: number, leads: ResultWrites): Promise<SubmitOutcome> {
    // The age outlives the process (and its monotonic clock), so it is wall-clock time.
    if (t - (lead.requeuedAt ?? lead.createdAt) >= options.maxAgeMs) {
      await leads.markFinal(lead.id, "failed", error, t);
      return { kind: "rejected", lead: { ...lead, state: "failed", lastError: error } };
    }
    const next = scheduleNow() + retryDelay(lead.attempts + 1);
    await leads.markRetry(lead.id, error, next, t);
    return { kind: "queued", lead: { ...lead, attempts: lead.attempts + 1, lastError: error, nextAttemptAt: next } };
  }

  /** One attempt per lead at a time; the result is told to whoever is no longer waiting for it. */
  function run(lead: LeadRecord): Promise<SubmitOutcome> {
    const running = inFlight.get(lead.id);
    if (running) return running;
    // Its last result is not stored yet: Brainysoft may have the lead, so it is not sent again.
    const heldOutcome = held.get(lead.id);
    if (heldOutcome) return Promise.resolve(heldOutcome);
    const promise = attempt(lead)
      .then(async (outcome) => {
        if (!awaited.delete(lead.id)) await tell(outcome.lead);
        return outcome;
      })
      .catch((error: unknown) => {
        log.error({ err: error, lead: lead.id }, "lead delivery attempt failed unexpectedly");
        const queued: SubmitOutcome = { kind: "queued", lead };
        return queued;
      })
      .finally(() => inFlight.delete(lead.id));
    inFlight.set(lead.id, promise);
    return promise;
  }

  /** A final outcome told through the listener, then marked told; false when there was nothing to tell or it failed. */
  async function tell(lead: LeadRecord): Promise<boolean> {
    try {
      if (lead.state === "delivered" && lead.brainysoftId !== undefined) await listener.delivered?.(lead, lead.brainysoftId);
      else if (lead.state === "rejected" || lead.state === "failed") await listener.gaveUp?.(lead, lead.state);
      else return false;
    } catch (error) {
      log.error({ err: error, lead: lead.id }, "could not tell the outcome of a delayed lead");
      return false;
    }
    await markTold(outcomeOf(lead));
    return true;
  }

  /** Marks a told outcome; a refused write is kept and made later, so a restart does not tell it twice. */
  async function markTold(outcome: SubmitOutcome): Promise<void> {
    const id = outcome.lead.id;
    const write = () => store.leads.markNotified(id);
    // After a result still held: the order of a lead's writes is kept.
    if (held.get(id)) return held.hold(outcome, [{ what: "markNotified", write }]);
    try {
      await write();
    } catch (error) {
      log.error({ err: error, lead: id }, "could not mark a lead as told; it is kept and written again");
      held.hold(outcome, [{ what: "markNotified", write }]);
    }
  }

  /** What a lead's state says the person was (or will be) told, for a lead the outbox holds. */
  function outcomeOf(lead: LeadRecord): SubmitOutcome {
    if (lead.state === "delivered" && lead.brainysoftId !== undefined) return { kind: "created", lead, brainysoftId: lead.brainysoftId };
    return lead.state === "rejected" || lead.state === "failed" ? { kind: "rejected", lead } : { kind: "queued", lead };
  }

  /**
   * The caller sends the answer after submit returns, so a final outcome is marked told here. A crash
   * in between loses that one message, and the sweep at start would not repair it (the lead looks
   * told); the person then has no answer, and handling their message again (Telegram re-sends it, or
   * they send it again) finds the lead and answers with it.
   */
  async function answeredDirectly(outcome: SubmitOutcome): Promise<SubmitOutcome> {
    if (outcome.kind === "queued" || outcome.kind === "duplicate") return outcome;
    // Refused, it is written later; a crash before that tells it again at the next start, a repeat rather than a silence.
    await markTold(outcome);
    return outcome;
  }

  /**
   * Final outcomes nobody was told, from leads last updated before `startedAt` (none of this process's
   * attempts touched them) and within LEAD_MAX_AGE of it: a chat that cannot be written to (the person
   * blocked the bot) is not tried at every start for ever. Each is re-read before it is told, in case
   * an admin sent it again meanwhile.
   */
  async function tellUntold(startedAt: number): Promise<number> {
    const page = 100;
    let told = 0;
    let afterId = 0;
    for (;;) {
      const leads = await store.leads.unnotified({ from: startedAt - options.maxAgeMs, to: startedAt, afterId, limit: page });
      for (const stale of leads) {
        if (stopped) return told;
        const lead = await store.leads.get(stale.id);
        if (lead && !lead.notified && lead.updatedAt < startedAt && (await tell(lead))) told++;
      }
      if (leads.length < page) return told;
      afterId = leads.at(-1)?.id ?? afterId;
    }
  }

  async function submit(newLead: NewLead, wait?: { answerWithinMs: number }): Promise<SubmitOutcome> {
    // Results held in memory first: a refusal not yet stored would make the corrected lead look like a duplicate.
    if (held.size > 0) await held.writeOwed();
    const t = now();
    // Its first attempt is this replica's (below): leased, so that no other replica's sweep sends it meanwhile.
    const inserted = await store.leads.insertUnlessDuplicate(newLead, options.duplicateWindowMs, t, { owner, until: t + leaseMs });
    if (inserted.duplicate) {
      const known = held.get(inserted.lead.id)?.lead;
      if (known?.state === "rejected" || known?.state === "failed") {
        // It matched only because its refusal is not stored: no honest answer but "try again later".
        throw new Error(`lead ${inserted.lead.id} was refused, but the store has not taken that yet`);
      }
      // What the bot knows of it, also what the store has not taken yet (its number).
      const lead = known ?? inserted.lead;
      await observe("duplicate", lead.id, () => listener.duplicate?.(lead, newLead));
      // Its creator is answered with its number (lead-text.ts): the "delivered later" message would repeat it.
      if (lead.userId === newLead.userId && lead.state === "delivered" && !lead.notified) await markTold(outcomeOf(lead));
      return { kind: "duplicate", lead };
    }
    const lead = inserted.lead;
    // The mask costs a phone parse: only for a log that writes info lines.
    if (log.isLevelEnabled("info")) log.info({ lead: lead.id, phone: maskPhone(lead.phone), source: lead.source }, "lead received");
    await observe("received", lead.id, () => listener.received?.(lead));
    awaited.add(lead.id);
    const attempt = run(lead);
    const inTime = await within(attempt, wait?.answerWithinMs ?? answerWithinMs);
    // Still awaited: the attempt has not finished and will tell its result itself.
    if (!inTime && awaited.delete(lead.id)) return { kind: "queued", lead };
    // Otherwise it finished (perhaps just as the time ran out) and left its outcome to this answer.
    awaited.delete(lead.id);
    return answeredDirectly(await attempt);
  }

  async function deliverDue(): Promise<number> {
    if (sweeping) return sweeping;
    sweeping = (async () => {
      // Leased, so that no other replica sends these meanwhile; as many as can be sent at once, so that a
      // lease never waits for a place. Twice the longest retry delay: anything scheduled further ahead
      // was scheduled by a clock since set back.
      const due = await store.leads.leaseDue(scheduleNow(), options.concurrency, leaseMs, owner, 2 * maxDelayMs);
      // A lead whose last result is held in memory waits for that write, never goes again meanwhile.
      const fresh = due.filter((lead) => !inFlight.has(lead.id) && !held.get(lead.id));
      await Promise.all(fresh.map(run));
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
    const requeued = (await Promise.all(leads.map((l) => store.leads.get(l.id)))).filter((l): l is LeadRecord => l?.state === "pending");
    // run() gives a lead already in flight the attempt under way, not a second one.
    return requeued.map((lead) => ({ lead, outcome: run(lead) }));
  }

  return {
    submit,
    deliverDue,
    retryNow,
    start() {
      stopped = false;
      held.start();
      const startedAt = now();
      const grace = new Promise<void>((resolve) => {
        endGrace = resolve;
        graceTimer = setTimeout(resolve, options.untoldGraceMs ?? 0);
      });
      telling = grace
        .then(() => tellUntold(startedAt))
        .then((told) => {
          if (told > 0) log.info({ told }, "told outcomes left untold before the start");
          return told;
        })
        .catch((error: unknown) => {
          log.error({ err: error }, "telling untold outcomes failed");
          return 0;
        });
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
      await Promise.allSettled([...inFlight.values(), telling]);
      await held.stop();
    },
  };
}

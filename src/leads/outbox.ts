import type { BrainysoftClient, CreateLeadResult } from "../brainysoft/client.js";
import type { Logger } from "../logger.js";
import { maskPhone } from "../phone.js";
import type { DeliveryErrorClass, LeadRecord, NewLead, Store } from "../store/types.js";
import { createLimiter } from "./limiter.js";

/** What the person who handed a lead in is told right away. */
export type SubmitOutcome =
  | { kind: "created"; lead: LeadRecord; brainysoftId: number }
  | { kind: "duplicate"; lead: LeadRecord }
  | { kind: "queued"; lead: LeadRecord }
  | { kind: "field-error"; field: "firstName" | "mobilePhone"; lead: LeadRecord }
  | { kind: "rejected"; lead: LeadRecord };

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
  /** Pending (or, for an admin, failed/rejected) leads to be sent now. */
  retryNow(ids: number[] | "all"): Promise<number>;
  start(): void;
  /** Stops the timer and waits for attempts in flight. */
  stop(): Promise<void>;
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
  now?: () => number;
  random?: () => number;
}

const FIELD_ERRORS = { firstName: "field-firstName", mobilePhone: "field-mobilePhone" } as const;

export function createLeadOutbox(options: OutboxOptions): LeadOutbox {
  const { store, client, log, listener } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const answerWithinMs = options.answerWithinMs ?? 20_000;
  const baseDelayMs = options.baseDelayMs ?? 2_000;
  const maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
  const limit = createLimiter(options.concurrency);
  /** Leads with an attempt in flight: never two attempts for one lead at once. */
  const inFlight = new Map<number, Promise<SubmitOutcome>>();
  /** Leads whose submitter is still waiting for the first attempt: they are answered directly. */
  const awaited = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;

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
    const result = await limit(() =>
      client.createLead({ firstName: lead.firstName, mobilePhone: lead.phone, lastName: lead.lastName }),
    );
    await listener.attempted?.(lead, result);
    const outcome = await recordResult(lead, result);
    await observe("settled", lead.id, () => listener.settled?.(outcome, result, awaited.has(lead.id)));
    return outcome;
  }

  async function recordResult(lead: LeadRecord, result: CreateLeadResult): Promise<SubmitOutcome> {
    const t = now();
    switch (result.kind) {
      case "created":
        await store.leads.markDelivered(lead.id, result.leadId, t);
        return { kind: "created", lead: { ...lead, state: "delivered", brainysoftId: result.leadId }, brainysoftId: result.leadId };
      case "field-error":
        await store.leads.markFinal(lead.id, "rejected", FIELD_ERRORS[result.field], t);
        return { kind: "field-error", field: result.field, lead: { ...lead, state: "rejected" } };
      case "rejected":
        await store.leads.markFinal(lead.id, "rejected", "rejected", t);
        return { kind: "rejected", lead: { ...lead, state: "rejected" } };
      case "auth":
      case "transient":
        return keepOrGiveUp(lead, result.kind, t);
    }
  }

  async function keepOrGiveUp(lead: LeadRecord, error: DeliveryErrorClass, t: number): Promise<SubmitOutcome> {
    if (t - (lead.requeuedAt ?? lead.createdAt) >= options.maxAgeMs) {
      await store.leads.markFinal(lead.id, "failed", error, t);
      return { kind: "rejected", lead: { ...lead, state: "failed", lastError: error } };
    }
    const next = t + retryDelay(lead.attempts + 1);
    await store.leads.markRetry(lead.id, error, next, t);
    return { kind: "queued", lead: { ...lead, attempts: lead.attempts + 1, lastError: error, nextAttemptAt: next } };
  }

  /** One attempt per lead at a time; the result is told to whoever is no longer waiting for it. */
  function run(lead: LeadRecord): Promise<SubmitOutcome> {
    const running = inFlight.get(lead.id);
    if (running) return running;
    const promise = attempt(lead)
      .then(async (outcome) => {
        if (!awaited.has(lead.id)) await tellLater(outcome);
        return outcome;
      })
      .catch((error: unknown) => {
        log.error({ err: error, lead: lead.id }, "lead delivery attempt failed unexpectedly");
        return { kind: "queued", lead } as SubmitOutcome;
      })
      .finally(() => inFlight.delete(lead.id));
    inFlight.set(lead.id, promise);
    return promise;
  }

  async function tellLater(outcome: SubmitOutcome): Promise<void> {
    try {
      if (outcome.kind === "created") await listener.delivered?.(outcome.lead, outcome.brainysoftId);
      else if (outcome.kind === "rejected" || outcome.kind === "field-error") {
        await listener.gaveUp?.(outcome.lead, outcome.lead.state === "failed" ? "failed" : "rejected");
      } else return;
      await store.leads.markNotified(outcome.lead.id);
    } catch (error) {
      log.error({ err: error, lead: outcome.lead.id }, "could not tell the outcome of a delayed lead");
    }
  }

  async function submit(newLead: NewLead, wait?: { answerWithinMs: number }): Promise<SubmitOutcome> {
    const { lead, duplicate } = await store.leads.insertUnlessDuplicate(newLead, options.duplicateWindowMs, now());
    if (duplicate) {
      await observe("duplicate", lead.id, () => listener.duplicate?.(lead, newLead));
      return { kind: "duplicate", lead };
    }
    log.info({ lead: lead.id, phone: maskPhone(lead.phone), source: lead.source }, "lead received");
    await observe("received", lead.id, () => listener.received?.(lead));
    awaited.add(lead.id);
    let timeout: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timeout = setTimeout(() => resolve("late"), wait?.answerWithinMs ?? answerWithinMs)));
    const first = await Promise.race([run(lead), late]);
    clearTimeout(timeout);
    awaited.delete(lead.id);
    return first === "late" ? { kind: "queued", lead } : first;
  }

  async function deliverDue(): Promise<number> {
    if (sweeping) return sweeping;
    sweeping = (async () => {
      const due = await store.leads.duePending(now(), 200);
      const fresh = due.filter((lead) => !inFlight.has(lead.id));
      await Promise.all(fresh.map(run));
      return fresh.length;
    })().finally(() => (sweeping = undefined));
    return sweeping;
  }

  async function retryNow(ids: number[] | "all"): Promise<number> {
    const t = now();
    const leads =
      ids === "all"
        ? await store.leads.listByState(["pending", "failed"], 1000)
        : (await Promise.all(ids.map((id) => store.leads.get(id)))).filter((l): l is LeadRecord => l !== undefined);
    for (const lead of leads) if (lead.state !== "pending") await store.leads.requeue(lead.id, t);
    const requeued = (await Promise.all(leads.map((l) => store.leads.get(l.id)))).filter(
      (l): l is LeadRecord => l?.state === "pending",
    );
    await Promise.all(requeued.filter((l) => !inFlight.has(l.id)).map(run));
    return requeued.length;
  }

  return {
    submit,
    deliverDue,
    retryNow,
    start() {
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
      if (timer) clearTimeout(timer);
      timer = undefined;
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

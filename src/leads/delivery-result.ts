import type { CreateLeadResult } from "../brainysoft/client.js";
import type { Logger } from "../logger.js";
import type { DeliveryErrorClass, LeadRecord, LeadStore, Store } from "../store/types.js";
import type { HeldResults, OwedWrite } from "./held-results.js";
import type { RetrySchedule } from "./retry-schedule.js";
import type { SubmitOutcome } from "./submit-outcome.js";

/**
 * Brainysoft's answer to one attempt, classified into the lead's next state and stored: delivered,
 * refused, or waiting for its next try (failed once older than LEAD_MAX_AGE). Brainysoft may have the
 * lead already, so a result the store refuses is never thrown away: it is held in memory with every
 * write after it for the same lead (held-results.ts), and the lead is not sent again meanwhile.
 */
export type RecordResult = (lead: LeadRecord, result: CreateLeadResult) => Promise<SubmitOutcome>;

export interface ResultRecorderDeps {
  store: Store;
  log: Logger;
  held: HeldResults;
  schedule: RetrySchedule;
  /** Wall-clock Unix ms: what is stored, and a lead's age, which outlives the process. */
  now: () => number;
  maxAgeMs: number;
  /** Tells the outcome of a result that could only be stored late. */
  tell: (lead: LeadRecord) => Promise<boolean>;
}

/** The writes that record an attempt's result. */
type ResultWrites = Pick<LeadStore, "markDelivered" | "markFinal" | "markRetry">;

const FIELD_ERRORS = { firstName: "field-firstName", mobilePhone: "field-mobilePhone" } as const;

export function createResultRecorder(deps: ResultRecorderDeps): RecordResult {
  const { store, log, held } = deps;

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

  async function classify(lead: LeadRecord, result: CreateLeadResult, leads: ResultWrites): Promise<SubmitOutcome> {
    const t = deps.now();
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
    if (t - (lead.requeuedAt ?? lead.createdAt) >= deps.maxAgeMs) {
      await leads.markFinal(lead.id, "failed", error, t);
      return { kind: "rejected", lead: { ...lead, state: "failed", lastError: error } };
    }
    const next = deps.schedule.nextAttemptAt(lead.attempts + 1);
    await leads.markRetry(lead.id, error, next, t);
    return { kind: "queued", lead: { ...lead, attempts: lead.attempts + 1, lastError: error, nextAttemptAt: next } };
  }

  return async function record(lead, result) {
    const writes = owingWrites();
    let outcome: SubmitOutcome;
    try {
      outcome = await classify(lead, result, writes.leads);
    } catch (error) {
      // Not a refused write (those are owed, never thrown) but something unforeseen: still, never send again blind.
      log.error({ err: error, lead: lead.id, result: result.kind }, "could not record a delivery result");
      const unknown: SubmitOutcome = { kind: "queued", lead };
      held.hold(unknown, [{ what: "record", write: async () => void (await deps.tell((await classify(lead, result, store.leads)).lead)) }]);
      return unknown;
    }
    if (writes.owed.length > 0) held.hold(outcome, writes.owed);
    return outcome;
  };
}

import type { BrainysoftClient } from "../brainysoft/client.js";
import type { Logger } from "../logger.js";
import type { LeadRecord } from "../store/types.js";
import { within } from "../within.js";
import type { RecordResult } from "./delivery-result.js";
import type { HeldResults } from "./held-results.js";
import { createLimiter } from "./limiter.js";
import { type OutboxListener, observe } from "./outbox-events.js";
import type { OutcomeTeller } from "./outcome-teller.js";
import type { SubmitOutcome } from "./submit-outcome.js";

/** Attempts to hand leads to Brainysoft, and who hears each outcome. */
export interface DeliveryAttempts {
  /**
   * The lead's attempt: the one under way, the outcome of a result the store has not taken yet (it
   * is not sent again meanwhile), or a new attempt. Its outcome is told through the listener, unless
   * the person is waiting for it in `answerWithin`. Never rejects.
   */
  run(lead: LeadRecord): Promise<SubmitOutcome>;
  /**
   * The person who handed the lead in waits for its first attempt at most `ms`. In time, they are
   * answered with the outcome (marked told here); else they hear "queued" now and the attempt tells
   * them its outcome when it comes. Exactly one of the two tells.
   */
  answerWithin(lead: LeadRecord, ms: number): Promise<SubmitOutcome>;
  /** An attempt is under way or its result is held: the lead must not go again now. */
  busy(leadId: number): boolean;
  /** Every lead busy now. */
  busyIds(): number[];
  /** Resolves once every attempt under way has settled. */
  settled(): Promise<void>;
}

export interface DeliveryAttemptsDeps {
  client: BrainysoftClient;
  /** At most this many Brainysoft calls at once: a burst must not overload the CRM. */
  concurrency: number;
  listener: OutboxListener;
  log: Logger;
  record: RecordResult;
  teller: OutcomeTeller;
  held: HeldResults;
}

export function createDeliveryAttempts(deps: DeliveryAttemptsDeps): DeliveryAttempts {
  const { client, listener, log, record, teller, held } = deps;
  const limit = createLimiter(deps.concurrency);
  /** Never two attempts for one lead at once. */
  const inFlight = new Map<number, Promise<SubmitOutcome>>();
  /**
   * Leads whose person waits in `answerWithin`. Whichever side ends the wait takes the lead out: the
   * attempt, when it finished in time (the person is answered with it), or the waiting side, when its
   * time ran out first (the attempt then tells the outcome itself).
   */
  const waiting = new Set<number>();

  async function attempt(lead: LeadRecord): Promise<SubmitOutcome> {
    const result = await limit(() => client.createLead({ firstName: lead.firstName, mobilePhone: lead.phone, lastName: lead.lastName }));
    await observe(log, "attempted", lead.id, () => listener.attempted?.(lead, result));
    const outcome = await record(lead, result);
    await observe(log, "settled", lead.id, () => listener.settled?.(outcome, result, waiting.has(lead.id)));
    return outcome;
  }

  function run(lead: LeadRecord): Promise<SubmitOutcome> {
    const running = inFlight.get(lead.id);
    if (running) return running;
    const heldOutcome = held.get(lead.id);
    if (heldOutcome) return Promise.resolve(heldOutcome);
    const promise = attempt(lead)
      .then(async (outcome) => {
        if (!waiting.delete(lead.id)) await teller.tell(outcome.lead);
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

  async function answerWithin(lead: LeadRecord, ms: number): Promise<SubmitOutcome> {
    waiting.add(lead.id);
    const outcome = run(lead);
    // Still waiting after the time ran out: the attempt has not finished and will tell its outcome itself.
    if (!(await within(outcome, ms)) && waiting.delete(lead.id)) return { kind: "queued", lead };
    waiting.delete(lead.id);
    const answered = await outcome;
    // The caller sends this answer after it returns, so a final outcome is marked told here. A crash in
    // between loses that one message; the person's message handled again (a re-send, or they write
    // again) finds the lead and answers with it. A refused mark is written later: at worst a repeat.
    if (answered.kind !== "queued" && answered.kind !== "duplicate") await teller.markTold(answered);
    return answered;
  }

  return {
    run,
    answerWithin,
    busy: (leadId) => inFlight.has(leadId) || held.get(leadId) !== undefined,
    busyIds: () => [...inFlight.keys(), ...held.ids()],
    async settled() {
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

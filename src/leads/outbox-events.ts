import type { CreateLeadResult } from "../brainysoft/client.js";
import type { Logger } from "../logger.js";
import type { LeadRecord, NewLead } from "../store/types.js";
import type { SubmitOutcome } from "./submit-outcome.js";

/**
 * What happens to leads in the outbox, as events its subscribers hear: the person's notifier (told
 * `delivered` and `gaveUp`), the journal, the alerts and the metrics. Only the two telling events may
 * fail on purpose: an error there keeps the lead "not notified", to be told again later. For every
 * other event an error is logged and ignored, so an observer never stops a delivery.
 */
export interface OutboxListener {
  /** A lead the person was told is queued has now been delivered. */
  delivered?(lead: LeadRecord, brainysoftId: number): Promise<void> | void;
  /** A queued lead reached a final state without an id (rejected later, or gave up). */
  gaveUp?(lead: LeadRecord, state: "rejected" | "failed"): Promise<void> | void;
  /** Every attempt's classified result (for alerts, metrics and the event journal). */
  attempted?(lead: LeadRecord, result: CreateLeadResult): Promise<void> | void;
  /** A new lead was committed, before its first attempt. */
  received?(lead: LeadRecord): Promise<void> | void;
  /** A submission matched a recent lead (`lead`) and created nothing; `submitted` is what was handed in. */
  duplicate?(lead: LeadRecord, submitted: NewLead): Promise<void> | void;
  /**
   * An attempt's result has been stored: the lead's new state in `outcome`, the call in `result`;
   * `awaited` when the person is still waiting for this answer (so they hear it directly).
   */
  settled?(outcome: SubmitOutcome, result: CreateLeadResult, awaited: boolean): Promise<void> | void;
}

type Hook = keyof OutboxListener;
const HOOKS: readonly Hook[] = ["delivered", "gaveUp", "attempted", "received", "duplicate", "settled"];

/**
 * One listener that tells several, in the order given, each hook awaited before the next listener.
 * An error stops the chain and reaches the outbox, which decides what it means (a person not told
 * stays "not notified"; an observer's trouble is logged): put the listener that must hear first.
 */
export function combineListeners(...listeners: OutboxListener[]): OutboxListener {
  const combined: OutboxListener = {};
  for (const hook of HOOKS) {
    const takers = listeners.filter((l) => l[hook] !== undefined);
    if (takers.length === 0) continue;
    // Every hook has the same shape (arguments in, promise or nothing out); the cast only says so.
    (combined as Record<Hook, (...args: unknown[]) => Promise<void>>)[hook] = async (...args: unknown[]) => {
      // As above: each taker's hook has that shape.
      for (const listener of takers) await (listener[hook] as (...a: unknown[]) => Promise<void> | void).apply(listener, args);
    };
  }
  return combined;
}

/** Calls an observer's hook: its trouble must never stop a delivery, so it is logged and swallowed. */
export async function observe(log: Logger, hook: keyof OutboxListener, lead: number, call: () => Promise<void> | void): Promise<void> {
  try {
    await call();
  } catch (error) {
    log.error({ err: error, lead, hook }, "outbox listener failed");
  }
}

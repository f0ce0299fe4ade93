import type { Logger } from "../logger.js";
import type { LeadRecord, Store } from "../store/types.js";
import type { HeldResults } from "./held-results.js";
import type { OutboxListener } from "./outbox-events.js";
import type { SubmitOutcome } from "./submit-outcome.js";

/** Who is told a lead's final outcome, and the mark that they were, so that nobody hears it twice. */
export interface OutcomeTeller {
  /** A final outcome told through the listener, then marked told; false when there was nothing to tell or it failed. */
  tell(lead: LeadRecord): Promise<boolean>;
  /** Marks a told outcome; a refused write is held and made later, so a restart does not tell it twice. */
  markTold(outcome: SubmitOutcome): Promise<void>;
  /**
   * Final outcomes nobody was told, from leads last updated before `startedAt` (none of this process's
   * attempts touched them) and within LEAD_MAX_AGE of it: a chat that cannot be written to (the person
   * blocked the bot) is not tried at every start for ever. Each is re-read before it is told, in case
   * an admin sent it again meanwhile. Returns how many were told.
   */
  tellUntold(startedAt: number, stopped: () => boolean): Promise<number>;
}

export interface OutcomeTellerDeps {
  store: Store;
  listener: OutboxListener;
  log: Logger;
  held: HeldResults;
  maxAgeMs: number;
}

/** What a lead's state says the person was (or will be) told, for a lead the outbox holds. */
export function outcomeOf(lead: LeadRecord): SubmitOutcome {
  if (lead.state === "delivered" && lead.brainysoftId !== undefined) return { kind: "created", lead, brainysoftId: lead.brainysoftId };
  return lead.state === "rejected" || lead.state === "failed" ? { kind: "rejected", lead } : { kind: "queued", lead };
}

export function createOutcomeTeller({ store, listener, log, held, maxAgeMs }: OutcomeTellerDeps): OutcomeTeller {
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

  async function tellUntold(startedAt: number, stopped: () => boolean): Promise<number> {
    const page = 100;
    let told = 0;
    let afterId = 0;
    for (;;) {
      const leads = await store.leads.unnotified({ from: startedAt - maxAgeMs, to: startedAt, afterId, limit: page });
      for (const stale of leads) {
        if (stopped()) return told;
        const lead = await store.leads.get(stale.id);
        if (lead && !lead.notified && lead.updatedAt < startedAt && (await tell(lead))) told++;
      }
      if (leads.length < page) return told;
      afterId = leads.at(-1)?.id ?? afterId;
    }
  }

  return { tell, markTold, tellUntold };
}

/**
 * What goes into the event journal admins read with /logs, and how: one place for the event kinds,
 * who an actor is, and the format of a Brainysoft call's record (which /stats reads latencies from).
 */
import type { CreateLeadResult } from "../brainysoft/client.js";
import type { OutboxListener, SubmitOutcome } from "../leads/outbox.js";
import type { Logger } from "../logger.js";
import { maskPhone } from "../phone.js";
import type { EventJournal, LeadRecord, NewLead } from "../store/types.js";

/** Things that happen to a lead. */
export const LEAD_KINDS = ["received", "delivered", "queued", "duplicate", "rejected", "failed", "retried"] as const;
/** Things that went wrong: a lead that did not make it, a failed Brainysoft call, a bot error, an outage. */
export const ERROR_KINDS = ["failed", "rejected", "crm-error", "error", "outage", "auth-failure"] as const;
/** Everything /logs shows by default. Successful Brainysoft calls ("crm-ok") are kept for /stats only. */
export const SHOWN_KINDS = [...new Set<string>([...LEAD_KINDS, ...ERROR_KINDS, "recovered", "export"])];

export type Actor = "customer" | "system" | `agent:${number}` | `admin:${number}`;

/** Who handed a lead in: a customer, or the agent who brought the contact. */
export function actorOf(lead: Pick<NewLead, "actor" | "agentId" | "userId">): Actor {
  return lead.actor === "agent" ? `agent:${lead.agentId ?? lead.userId}` : "customer";
}

/** "transient 503 1520ms HTTP 503 non-JSON body": outcome class, HTTP status, latency, then the client's detail. */
export function crmCallDetail(result: CreateLeadResult): string {
  const head = `${result.kind} ${result.status ?? "-"} ${result.latencyMs}ms`;
  return "detail" in result ? `${head} ${result.detail}` : head;
}

/** The latency of a recorded Brainysoft call, read back from crmCallDetail's format. */
export function crmCallLatency(detail: string | undefined): number | undefined {
  const match = /^\S+ \S+ (\d+)ms\b/.exec(detail ?? "");
  return match ? Number(match[1]) : undefined;
}

/** Long digit runs (a phone, a card) never reach the journal through an error message. */
export function scrubDetail(text: string, max = 300): string {
  const scrubbed = text.replace(/\+?\d[\d\s().-]{5,}\d/g, (run) => (run.replace(/\D/g, "").length >= 7 ? "[digits]" : run));
  return scrubbed.length > max ? `${scrubbed.slice(0, max - 1)}…` : scrubbed;
}

/** Records every lead event and Brainysoft call the outbox reports. */
export function createLeadJournal(deps: { events: EventJournal; now?: () => number }): OutboxListener {
  const { events } = deps;
  const now = deps.now ?? Date.now;
  const about = (lead: LeadRecord) => ({ leadId: lead.id, source: lead.source, maskedPhone: maskPhone(lead.phone) });

  return {
    received: (lead) => events.record({ at: now(), kind: "received", actor: actorOf(lead), ...about(lead) }),
    duplicate: (lead, submitted) =>
      events.record({
        at: now(),
        kind: "duplicate",
        actor: actorOf(submitted),
        ...about(lead),
        source: submitted.source,
        brainysoftId: lead.brainysoftId,
      }),
    async settled(outcome, result) {
      const at = now();
      const lead = outcome.lead;
      await events.record({
        at,
        kind: result.kind === "created" ? "crm-ok" : "crm-error",
        actor: "system",
        source: "brainysoft",
        leadId: lead.id,
        detail: scrubDetail(crmCallDetail(result)),
      });
      const event = leadEvent(outcome, result);
      if (event) await events.record({ at, actor: actorOf(lead), ...about(lead), ...event });
    },
  };
}

function leadEvent(outcome: SubmitOutcome, result: CreateLeadResult): { kind: string; detail?: string; brainysoftId?: number } | undefined {
  const why = "detail" in result ? scrubDetail(result.detail) : undefined;
  switch (outcome.kind) {
    case "created":
      return { kind: "delivered", brainysoftId: outcome.brainysoftId };
    case "queued":
      // The first failed attempt queues the lead; later ones are in the journal as failed calls.
      return outcome.lead.attempts === 1 ? { kind: "queued", detail: `${result.kind}: ${why ?? ""}` } : undefined;
    case "field-error":
      return { kind: "rejected", detail: `field ${outcome.field}` };
    case "rejected":
      return outcome.lead.state === "failed"
        ? { kind: "failed", detail: `gave up after ${outcome.lead.attempts + 1} attempts: ${why ?? result.kind}` }
        : { kind: "rejected", detail: why ?? result.kind };
    case "duplicate":
      return undefined;
  }
}

/** An error while handling an update, for the journal; never throws (it runs inside error handling). */
export async function recordBotError(
  events: EventJournal,
  error: unknown,
  who: { role: string | undefined; userId: number | undefined },
  log: Logger,
): Promise<void> {
  // The role is unknown when the error came before the role was looked up.
  const staff = (who.role === "admin" || who.role === "agent") && who.userId !== undefined;
  const actor = staff ? `${who.role}:${who.userId}` : "customer";
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await events
    .record({ kind: "error", actor, source: "bot", detail: scrubDetail(detail) })
    .catch((failure: unknown) => log.error({ err: failure }, "could not record a bot error in the journal"));
}

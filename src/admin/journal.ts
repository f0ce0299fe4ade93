/**
 * What goes into the event journal admins read with /logs, and how: one place for the event kinds,
 * who an actor is, and the record of a Brainysoft call (its latency and status also in columns, for /stats).
 */
import type { CreateLeadResult } from "../brainysoft/client.js";
import type { OutboxListener } from "../leads/outbox-events.js";
import type { SubmitOutcome } from "../leads/submit-outcome.js";
import type { Logger } from "../logger.js";
import { createPhoneFormats, type PhoneFormats } from "../phone.js";
import type { EventJournal, LeadRecord, NewLead } from "../store/types.js";
import { formatDuration, type Tr } from "./format.js";
import { isRecord } from "../guards.js";

/** Things that happen to a lead. */
export const LEAD_KINDS = ["received", "delivered", "queued", "duplicate", "rejected", "failed", "retried"] as const;
/** Things that went wrong: a lead that did not make it, a failed Brainysoft call, a bot error, an outage. */
export const ERROR_KINDS = ["failed", "rejected", "crm-error", "error", "outage", "auth-failure"] as const;
/** Everything /logs shows by default. Successful Brainysoft calls ("crm-ok") are kept for /stats only. */
export const SHOWN_KINDS = [...new Set<string>([...LEAD_KINDS, ...ERROR_KINDS, "recovered", "export"])];

export type Actor = "customer" | "system" | `agent:${number}` | `admin:${number}`;

/** Who handed a lead in: a customer, or the agent who brought the contact. */
function actorOf(lead: Pick<NewLead, "actor" | "agentId" | "userId">): Actor {
  return lead.actor === "agent" ? `agent:${lead.agentId ?? lead.userId}` : "customer";
}

/** "transient 503 1520ms HTTP 503 non-JSON body": outcome class, HTTP status, latency, then the client's detail. */
export function crmCallDetail(result: CreateLeadResult): string {
  const head = `${result.kind} ${result.status ?? "-"} ${result.latencyMs}ms`;
  return "detail" in result ? `${head} ${result.detail}` : head;
}

/** Long digit runs (a phone, a card) never reach the journal through an error message. */
export function scrubDetail(text: string, max = 300): string {
  const scrubbed = text.replace(/\+?\d[\d\s().-]{5,}\d/g, (run) => (run.replace(/\D/g, "").length >= 7 ? "[digits]" : run));
  return scrubbed.length > max ? `${scrubbed.slice(0, max - 1)}…` : scrubbed;
}

/**
 * A detail that is a sentence rather than a technical message is stored as a code with its numbers
 * and worded when an admin reads it, in the admin's language (detailText): the journal outlives any
 * one reader's language. Technical parts (`reason`, `error`) are scrubbed and kept as they came.
 */
export type CodedDetail =
  | { code: "field"; field: string }
  | { code: "gave-up"; attempts: number; reason: string }
  | { code: "recovered"; seconds: number; failures: number }
  | { code: "alert-undelivered"; admin: number; error: string }
  | { code: "export"; leads: number; days: number; full: boolean };

/** Stored as JSON, e.g. {"code":"gave-up","attempts":3,"reason":"HTTP 503"}. */
export const codedDetail = (detail: CodedDetail): string => JSON.stringify(detail);

const CODES: ReadonlySet<string> = new Set<CodedDetail["code"]>(["field", "gave-up", "recovered", "alert-undelivered", "export"]);

/** A stored detail read back as a code, or undefined for a plain one (a call record, an error message). */
function readCodedDetail(detail: string | undefined): CodedDetail | undefined {
  if (!detail?.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(detail);
    // Only the code is checked: the numbers beside it were written by codedDetail from a CodedDetail.
    return isRecord(parsed) && typeof parsed.code === "string" && CODES.has(parsed.code) ? (parsed as CodedDetail) : undefined;
  } catch {
    return undefined;
  }
}

/** An event's detail as an admin reads it: a coded one in words (admin.ftl), any other as stored. */
export function detailText(detail: string, t: Tr): string {
  const coded = readCodedDetail(detail);
  switch (coded?.code) {
    case undefined:
      return detail;
    case "field":
      return t("logs-detail-field", { field: coded.field });
    case "gave-up":
      return t("logs-detail-gave-up", { attempts: coded.attempts, reason: coded.reason });
    case "recovered":
      return t("logs-detail-recovered", { duration: formatDuration(coded.seconds * 1000, t), failures: coded.failures });
    case "alert-undelivered":
      return t("logs-detail-alert-undelivered", { admin: String(coded.admin), error: coded.error });
    case "export":
      return t("logs-detail-export", { leads: coded.leads, days: coded.days, full: coded.full ? "yes" : "no" });
  }
}

/** Records every lead event and Brainysoft call the outbox reports. */
export function createLeadJournal(deps: { events: EventJournal; now?: () => number; phones?: PhoneFormats }): OutboxListener {
  const { events } = deps;
  const now = deps.now ?? Date.now;
  // A lead's events come a few at a time (received, then its outcome): each phone is read once, not per event.
  const phones = deps.phones ?? createPhoneFormats();
  const about = (lead: LeadRecord) => ({ leadId: lead.id, source: lead.source, maskedPhone: phones.mask(lead.phone) });

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
      const event = leadEvent(outcome, result);
      // Both at once, so that they share a commit (the SQLite store commits a turn's writes together).
      await Promise.all([
        events.record({
          at,
          kind: result.kind === "created" ? "crm-ok" : "crm-error",
          actor: "system",
          source: "brainysoft",
          leadId: lead.id,
          // The numbers in columns of their own for /stats; the detail says it all in one line for /logs.
          latencyMs: result.latencyMs,
          httpStatus: result.status,
          detail: scrubDetail(crmCallDetail(result)),
        }),
        event && events.record({ at, actor: actorOf(lead), ...about(lead), ...event }),
      ]);
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
      return { kind: "rejected", detail: codedDetail({ code: "field", field: outcome.field }) };
    case "rejected":
      return outcome.lead.state === "failed"
        ? { kind: "failed", detail: codedDetail({ code: "gave-up", attempts: outcome.lead.attempts + 1, reason: why ?? result.kind }) }
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

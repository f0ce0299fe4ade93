/** A row of the events table as both stores write and read it, and the LeadEvent it stands for. */
import type { LeadEvent, NewLeadEvent } from "./types.js";

export interface EventRow {
  id: number;
  at: number;
  kind: string;
  actor: string;
  source: string | null;
  masked_phone: string | null;
  lead_id: number | null;
  brainysoft_id: number | null;
  detail: string | null;
  latency_ms: number | null;
  http_status: number | null;
}

export function toEvent(row: EventRow): LeadEvent {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    source: row.source ?? undefined,
    maskedPhone: row.masked_phone ?? undefined,
    leadId: row.lead_id ?? undefined,
    brainysoftId: row.brainysoft_id ?? undefined,
    detail: row.detail ?? undefined,
    latencyMs: row.latency_ms ?? undefined,
    httpStatus: row.http_status ?? undefined,
  };
}

/** The columns an event is inserted with, in the order of eventValues. */
export const EVENT_COLUMNS = "at, kind, actor, source, masked_phone, lead_id, brainysoft_id, detail, latency_ms, http_status";

/** An event's values for EVENT_COLUMNS: missing ones as NULL, a missing time as now. */
export function eventValues(event: NewLeadEvent): (string | number | null)[] {
  return [
    event.at ?? Date.now(),
    event.kind,
    event.actor,
    event.source ?? null,
    event.maskedPhone ?? null,
    event.leadId ?? null,
    event.brainysoftId ?? null,
    event.detail ?? null,
    event.latencyMs ?? null,
    event.httpStatus ?? null,
  ];
}

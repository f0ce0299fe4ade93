/** A row of the events table as both stores read it, and the LeadEvent it stands for. */
import type { LeadEvent } from "./types.js";

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

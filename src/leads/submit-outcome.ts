import type { LeadRecord } from "../store/types.js";

/** What the person who handed a lead in is told right away. */
export type SubmitOutcome =
  | { kind: "created"; lead: LeadRecord; brainysoftId: number }
  | { kind: "duplicate"; lead: LeadRecord }
  | { kind: "queued"; lead: LeadRecord }
  | { kind: "field-error"; field: "firstName" | "mobilePhone"; lead: LeadRecord }
  | { kind: "rejected"; lead: LeadRecord };

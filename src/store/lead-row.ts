/** A row of the leads table as both stores read it, the LeadRecord it stands for, and a new lead's values. */
import type { DeliveryErrorClass, FirstLease, LeadRecord, LeadState, NewLead, OrphanedLeases } from "./types.js";

/** Every state with a count of 0, for countByState. */
export function zeroByState(): Record<LeadState, number> {
  return { pending: 0, delivered: 0, duplicate: 0, rejected: 0, failed: 0 };
}
/** States a lead never leaves on its own; purge may delete these. */
export const FINAL_STATES: readonly LeadState[] = ["delivered", "duplicate", "rejected", "failed"];

export interface LeadRow {
  id: number;
  chat_id: number;
  user_id: number;
  first_name: string;
  last_name: string | null;
  phone: string;
  source: string;
  // The CHECK constraints keep actor and state within their unions; last_error is written only from DeliveryErrorClass.
  actor: LeadRecord["actor"];
  agent_id: number | null;
  consent_at: number | null;
  locale: string;
  state: LeadState;
  attempts: number;
  brainysoft_id: number | null;
  last_error: DeliveryErrorClass | null;
  created_at: number;
  updated_at: number;
  next_attempt_at: number;
  requeued_at: number | null;
  /** SQLite has no boolean: 0 or 1 there, a boolean in PostgreSQL. */
  notified: number | boolean;
}

export function toRecord(row: LeadRow): LeadRecord {
  return {
    id: row.id,
    chatId: row.chat_id,
    userId: row.user_id,
    firstName: row.first_name,
    lastName: row.last_name ?? undefined,
    phone: row.phone,
    source: row.source,
    actor: row.actor,
    agentId: row.agent_id ?? undefined,
    consentAt: row.consent_at ?? undefined,
    locale: row.locale,
    state: row.state,
    attempts: row.attempts,
    brainysoftId: row.brainysoft_id ?? undefined,
    lastError: row.last_error ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    nextAttemptAt: row.next_attempt_at,
    requeuedAt: row.requeued_at ?? undefined,
    notified: row.notified === true || row.notified === 1,
  };
}

/**
 * The columns a new lead is inserted with, in the order of newLeadValues; its state ('pending'), attempts
 * (0) and notified (false) are written by each store's statement in its own dialect.
 */
export const NEW_LEAD_COLUMNS =
  "chat_id, user_id, first_name, last_name, phone, source, actor, agent_id, consent_at, locale, created_at, updated_at, next_attempt_at, lease_owner, lease_until, lease_attempt";

/** The placeholders of NEW_LEAD_COLUMNS in a statement's VALUES, `placeholder(i)` for the i-th (from 0): "?" or `$${i + 1}`. */
export function newLeadPlaceholders(placeholder: (i: number) => string): string {
  return NEW_LEAD_COLUMNS.split(",")
    .map((_, i) => placeholder(i))
    .join(", ");
}

/** A new lead's values for NEW_LEAD_COLUMNS, created (and first due) at `now`, leased to its first attempt when `lease` is given. */
export function newLeadValues(lead: NewLead, now: number, lease: FirstLease | undefined): (string | number | null)[] {
  return [
    lead.chatId,
    lead.userId,
    lead.firstName,
    lead.lastName ?? null,
    lead.phone,
    lead.source,
    lead.actor,
    lead.agentId ?? null,
    lead.consentAt ?? null,
    lead.locale,
    now,
    now,
    now,
    // The lease columns: none, or attempt 0 leased to its owner.
    lease?.owner ?? null,
    lease?.until ?? null,
    lease ? 0 : null,
  ];
}

/**
 * leaseDue's orphans as the lease_until they are found by: a lease taken before `leasedBefore` ends
 * before this (every lease lasts leaseMs). Without orphans, a time no lease ends before.
 */
export function orphanedUntil(orphans: OrphanedLeases | undefined, leaseMs: number): number {
  return orphans ? orphans.leasedBefore + leaseMs : Number.MIN_SAFE_INTEGER;
}

/**
 * The storage layer behind one small interface, so that a networked store can replace the
 * embedded SQLite one without touching the features. Methods are async for that reason even
 * though SQLite answers synchronously.
 */

import type { JsonText } from "./json-text.js";

export type LeadState = "pending" | "delivered" | "duplicate" | "rejected" | "failed";

/**
 * Outcome class of the last delivery attempt, as the Brainysoft client classifies it. "unconfirmed": a
 * 2xx that named no lead, so Brainysoft may have created it; the lead is held (state rejected) for a human.
 */
export type DeliveryErrorClass = "auth" | "transient" | "rejected" | "unconfirmed" | "field-firstName" | "field-mobilePhone";

export type LeadActor = "customer" | "agent";

/** What a Telegram user may do: admins do all agents do; everyone else is a customer. */
export type Role = "admin" | "agent" | "customer";

export interface NewLead {
  chatId: number;
  userId: number;
  firstName: string;
  lastName?: string | undefined;
  /** Digits only, international, e.g. 79776200777. */
  phone: string;
  /** "customer", "agent:<id>" or a validated deep-link payload such as "spring_promo". */
  source: string;
  actor: LeadActor;
  /** Telegram user id of the agent who handed the contact in, for agent leads. */
  agentId?: number | undefined;
  /** Unix ms when the person accepted the personal-data notice, when one was shown. */
  consentAt?: number | undefined;
  /** ru or en: the language the person was spoken to in, for the delayed confirmation. */
  locale: string;
}

export interface LeadRecord extends NewLead {
  id: number;
  state: LeadState;
  attempts: number;
  brainysoftId?: number | undefined;
  lastError?: DeliveryErrorClass | undefined;
  /** Unix ms. */
  createdAt: number;
  updatedAt: number;
  /** Unix ms when the delivery worker may try this lead next (pending leads only). */
  nextAttemptAt: number;
  /** Unix ms of the last admin retry of a failed lead: the give-up age counts from here, not from creation. */
  requeuedAt?: number | undefined;
  /**
   * Whether the person (or agent) has been told the lead's final outcome, directly or by a later
   * message. Reset when an admin sends the lead again.
   */
  notified: boolean;
}

export interface LeadEvent {
  id: number;
  at: number;
  /** received, delivered, queued, duplicate, rejected, failed, retried, error */
  kind: string;
  /** "customer", "agent:<id>", "admin:<id>" or "system". */
  actor: string;
  source?: string | undefined;
  maskedPhone?: string | undefined;
  leadId?: number | undefined;
  brainysoftId?: number | undefined;
  detail?: string | undefined;
  /** A Brainysoft call's (crm-ok, crm-error): how long it took, and the HTTP status when one came. */
  latencyMs?: number | undefined;
  httpStatus?: number | undefined;
}

export type NewLeadEvent = Omit<LeadEvent, "id" | "at"> & { at?: number };

/** A piece of an ordered list of leads: the next `limit` after the lead `after` (from the start without it). */
export interface LeadPage {
  after?: { createdAt: number; id: number } | undefined;
  limit: number;
}

/** Who makes a new lead's first attempt, and until when no one else may. */
export interface FirstLease {
  owner: string;
  until: number;
}

/** leaseDue: which of the caller's own leases it has lost track of (see there). */
export interface OrphanedLeases {
  leasedBefore: number;
  except: readonly number[];
}

export interface LeadStore {
  /**
   * Atomically: if a lead with the same phone was created within `windowMs` before `now` and is
   * not rejected/failed (or is held as unconfirmed), return it with `duplicate: true`; otherwise insert a new pending lead
   * (nextAttemptAt = now) and return it with `duplicate: false`. Two racing callers with the same
   * phone get one insert. A matching lead stamped later than `now` (another process read its clock
   * later but committed first) also counts; the newest match is returned. With `lease`, the new lead's
   * first attempt is leased to its owner (as leaseDue would), so that no other replica sends it while
   * the replica that took it makes that attempt.
   */
  insertUnlessDuplicate(
    lead: NewLead,
    windowMs: number,
    now: number,
    lease?: FirstLease,
  ): Promise<{ lead: LeadRecord; duplicate: boolean }>;
  get(id: number): Promise<LeadRecord | undefined>;
  /**
   * The newest lead with this phone created since `since` that is not rejected or failed (a lead held as
   * "unconfirmed" counts: Brainysoft may have it): what a duplicate would match.
   */
  findRecent(phone: string, since: number): Promise<LeadRecord | undefined>;
  /**
   * Pending leads whose nextAttemptAt <= now, oldest (by createdAt) first. With `horizonMs`, also those
   * scheduled further ahead than that: no retry is ever scheduled so far, so the clock that scheduled
   * them has since been set back (or the process that did has been replaced), and they are due now.
   */
  duePending(now: number, limit: number, horizonMs?: number): Promise<LeadRecord[]>;
  /** All leads in the given states, oldest first. No states: an empty list. */
  listByState(states: readonly LeadState[], limit: number): Promise<LeadRecord[]>;
  /** A successful attempt: state delivered, brainysoftId, attempts+1, lastError cleared. Applies whatever the state. */
  markDelivered(id: number, brainysoftId: number, now: number): Promise<void>;
  /** A failed attempt that will be retried: attempts+1, lastError, nextAttemptAt. Pending leads only (else a no-op). */
  markRetry(id: number, error: DeliveryErrorClass, nextAttemptAt: number, now: number): Promise<void>;
  /** A final state without a Brainysoft id: rejected or failed. attempts+1, lastError. Pending leads only (else a no-op). */
  markFinal(id: number, state: "rejected" | "failed", error: DeliveryErrorClass, now: number): Promise<void>;
  /**
   * Put a failed or rejected lead back to pending for an admin's retry (sets requeuedAt, nextAttemptAt = now).
   * attempts is kept; notified is reset, as the outcome is open again. False if the lead does not
   * exist or is not failed/rejected.
   */
  requeue(id: number, now: number): Promise<boolean>;
  markNotified(id: number): Promise<void>;
  /**
   * Leads in a final state with an outcome (delivered, rejected, failed) whose person was not told it,
   * last updated in [from, to) and with an id above `afterId`, by id: the outbox tells them at start.
   */
  unnotified(query: { from: number; to: number; afterId: number; limit: number }): Promise<LeadRecord[]>;
  /**
   * Leads created in [from, to), oldest first (by createdAt, then id). With `page`: at most `limit` of
   * them, those after the lead `after` in that order, so that a long period is read in bounded pieces.
   */
  listCreatedBetween(from: number, to: number, page?: LeadPage): Promise<LeadRecord[]>;
  countByState(): Promise<Record<LeadState, number>>;
  /**
   * Leads a customer handed in themselves (actor "customer") created at or after `since`, for the daily
   * cap. Leads Brainysoft refused for a field the person was then asked to correct do not count: the
   * corrected one is the same application.
   */
  countByUserSince(userId: number, since: number): Promise<number>;
  /**
   * For several replicas sharing the store: atomically takes up to `limit` due pending leads (as
   * duePending) whose lease is free, and leases them to `owner` until `now + leaseMs`, oldest first. A
   * lease covers one delivery attempt: markRetry, markFinal and markDelivered end it (they count the
   * attempt), and requeue starts a new one; a replica that dies mid-attempt leaves it to expire, and
   * another replica takes the lead over then. Two callers never get the same lead while its lease runs.
   * `horizonMs` as for duePending. With `orphans`, the caller's own leases taken before `leasedBefore`
   * on leads not in `except` are taken again too: the caller knows it has no attempt for them (a lead
   * whose insert committed although its answer was lost, say), so they need not wait out the lease.
   */
  leaseDue(now: number, limit: number, leaseMs: number, owner: string, horizonMs?: number, orphans?: OrphanedLeases): Promise<LeadRecord[]>;
  /**
   * An admin's retry: leases the named pending leads, due or not, whose lease is free or already
   * `owner`'s, and returns them. A lead another replica is sending now is left out, so that it is never
   * sent twice at once.
   */
  leaseNamed(ids: readonly number[], now: number, leaseMs: number, owner: string): Promise<LeadRecord[]>;
  /** Gives a lease back before its attempt ends (a replica stopping): false if `owner` does not hold it. */
  releaseLease(id: number, owner: string): Promise<boolean>;
}

/**
 * Update ids already handled. An id is remembered after its handling ends, not before: an update cut
 * short by a crash is handled again when Telegram re-sends it, which the write-ahead lead store and
 * its duplicate check make safe, instead of being dropped half-done.
 */
export interface UpdateDeduplicator {
  wasHandled(updateId: number): Promise<boolean>;
  /** True the first time an id is remembered; false for a repeat. Store.purge forgets ids after the keep time. */
  markHandled(updateId: number, now: number): Promise<boolean>;
}

export interface EventJournal {
  record(event: NewLeadEvent): Promise<void>;
  /** Newest first (by `at`, then insertion). `kinds: []` matches nothing; an omitted filter matches all. */
  recent(limit: number, offset: number, filter?: { kinds?: readonly string[]; actor?: string }): Promise<LeadEvent[]>;
  between(from: number, to: number): Promise<LeadEvent[]>;
  /** How many events of each of `kinds` have `at` in [from, to); a kind with none is left out. */
  countByKind(kinds: readonly string[], from: number, to: number): Promise<Record<string, number>>;
  /** At most `limit` events of `kinds` with `at` in [from, to), newest first: a bounded sample of a period. */
  newestBetween(kinds: readonly string[], from: number, to: number, limit: number): Promise<LeadEvent[]>;
}

export interface RoleStore {
  listAgents(): Promise<number[]>;
  addAgent(userId: number, addedBy: number, now: number): Promise<boolean>;
  removeAgent(userId: number): Promise<boolean>;
}

/**
 * Key-value storage for in-progress conversations (grammY StorageAdapter shape). `handledUpdate`: the
 * update whose handling made this change, remembered as handled (as UpdateDeduplicator.markHandled) in
 * the same transaction, so that a process dying between the two cannot leave a conversation one step
 * on with its update still to be handled again.
 */
export interface KeyValueStore<T> {
  read(key: string): Promise<T | undefined>;
  /** `value`, or its JSON text already made (json-text.ts), which is stored as it is. */
  write(key: string, value: T | JsonText, handledUpdate?: number): Promise<void>;
  delete(key: string, handledUpdate?: number): Promise<void>;
}

export interface Store {
  leads: LeadStore;
  updates: UpdateDeduplicator;
  events: EventJournal;
  roles: RoleStore;
  conversations: KeyValueStore<unknown>;
  /**
   * Delete events and lead personal data older than `olderThan` (Unix ms), and processed update ids
   * older than the de-duplication keep time, whatever `olderThan` is: events by `at`; update ids by
   * seen time; leads in a final state (delivered, duplicate, rejected, failed) last updated before
   * `olderThan` (pending leads are kept). Abandoned conversation state that old goes too (not counted).
   */
  purge(olderThan: number): Promise<{ events: number; leads: number; updates: number }>;
  /**
   * One tiny real write (a heartbeat row); rejects when the store cannot write. While writes fail, it
   * tells when they work again without waiting for the next lead or update.
   */
  probeWrite(): Promise<void>;
  close(): Promise<void>;
  /** Counters for rate limits that every replica sees. */
  counters: WindowCounters;
  /** Leadership and per-chat critical sections across replicas. */
  coordination: Coordination;
  /**
   * Resolves once the store is open and its schema current; rejects with StoreOpenError when it cannot
   * be (an unreachable server, a schema from a newer build). SQLite opens synchronously, so it is
   * always resolved; a networked store opens at its first call, and every method waits for that.
   */
  ready(): Promise<void>;
}

/** Fixed-window counters, as Redis INCR + PEXPIRE on the first hit: what rate limiters need. */
export interface WindowCounters {
  /**
   * Counts one hit on `key` and returns the hits in its current window (1 for the first). A window
   * opens at the first hit after the previous one ended and lasts `windowMs`. Store.purge deletes
   * ended windows.
   */
  hit(key: string, windowMs: number, now: number): Promise<number>;
}

/** Held leadership (e.g. of Telegram polling, which only one replica may do). */
export interface Leadership {
  /** Resolves when the leadership ends: released, or lost with the store connection that held it. */
  readonly lost: Promise<void>;
  isHeld(): boolean;
  release(): Promise<void>;
}

export interface Coordination {
  /**
   * Leadership of `name` if nobody holds it, else undefined; ask again later to take over from a leader
   * that died. On PostgreSQL the lock lives with one dedicated connection (lost when that dies); SQLite
   * serves a single process, so there it only excludes other holders in this process.
   */
  tryLeadership(name: string): Promise<Leadership | undefined>;
  /**
   * Runs `fn` while no other caller (on any replica sharing a PostgreSQL store) runs one for the same
   * chat; callers for one chat take turns in arrival order. Not reentrant: `fn` must not ask for a chat
   * lock itself.
   */
  withChatLock<T>(chatId: number, fn: () => Promise<T>): Promise<T>;
}

/**
 * A real store whose chosen writes fail as they do on a full disk (better-sqlite3's SqliteError with
 * code SQLITE_FULL), until the test heals them: for the fault-injection tests. Pass `faults.wrap` as
 * startTestApp's `wrapStore`.
 */
import Database from "better-sqlite3";
import type { Store } from "../../src/store/types.js";

/** The writes that can be made to fail, named as the lead's life goes through them. */
export type FaultyWrite =
  | "leads.insertUnlessDuplicate"
  | "leads.markDelivered"
  | "leads.markRetry"
  | "leads.markFinal"
  | "leads.markNotified"
  | "updates.markHandled"
  | "conversations.write"
  | "events.record"
  | "probeWrite";

export interface StoreFaults {
  wrap(store: Store): Store;
  /** From now on these writes fail (all of them when none are named: the disk is full). */
  fail(...writes: FaultyWrite[]): void;
  /** Writes work again. */
  heal(): void;
  /** How many writes failed, by name. */
  readonly refused: Partial<Record<FaultyWrite, number>>;
}

const ALL: readonly FaultyWrite[] = [
  "leads.insertUnlessDuplicate",
  "leads.markDelivered",
  "leads.markRetry",
  "leads.markFinal",
  "leads.markNotified",
  "updates.markHandled",
  "conversations.write",
  "events.record",
  "probeWrite",
];

export function createStoreFaults(): StoreFaults {
  let failing = new Set<FaultyWrite>();
  const refused: Partial<Record<FaultyWrite, number>> = {};

  /** `write` unless it is failing now; the arguments pass through untouched. */
  function faulty<A extends unknown[], R>(name: FaultyWrite, write: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      if (failing.has(name)) {
        refused[name] = (refused[name] ?? 0) + 1;
        throw new Database.SqliteError("database or disk is full", "SQLITE_FULL");
      }
      return write(...args);
    };
  }

  return {
    refused,
    fail(...writes) {
      failing = new Set(writes.length === 0 ? ALL : writes);
    },
    heal() {
      failing = new Set();
    },
    wrap(store) {
      const { leads, updates, events, conversations } = store;
      return {
        ...store,
        leads: {
          ...leads,
          insertUnlessDuplicate: faulty("leads.insertUnlessDuplicate", leads.insertUnlessDuplicate),
          markDelivered: faulty("leads.markDelivered", leads.markDelivered),
          markRetry: faulty("leads.markRetry", leads.markRetry),
          markFinal: faulty("leads.markFinal", leads.markFinal),
          markNotified: faulty("leads.markNotified", leads.markNotified),
        },
        updates: { ...updates, markHandled: faulty("updates.markHandled", updates.markHandled) },
        events: { ...events, record: faulty("events.record", events.record) },
        conversations: { ...conversations, write: faulty("conversations.write", conversations.write) },
        probeWrite: faulty("probeWrite", store.probeWrite),
      };
    },
  };
}

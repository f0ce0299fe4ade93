import type { KeyValueStore, LeadStore, Role } from "../store/types.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * At most LEADS_PER_USER_PER_DAY from one customer in any 24 hours, so one person can neither flood the
 * CRM nor probe it: their new leads count, and so does every answer about a lead someone else handed in.
 */
export interface LeadCap {
  /** True when this person may not hand in another lead now. Agents and admins never reach it. */
  reached(userId: number, role: Role): Promise<boolean>;
  /**
   * A customer gave a phone that someone else's recent lead holds: no lead was made, but they were
   * answered (neutrally, see lead-text.ts), so it counts like a lead of theirs for 24 hours. Otherwise
   * typing other people's numbers would be free, and unlimited.
   */
  countAnswer(userId: number, role: Role): Promise<void>;
}

export interface LeadCapDeps {
  leads: Pick<LeadStore, "countByUserSince">;
  /**
   * Where the times of those answers are kept, under `lead-cap:<user id>`: the store's key-value table
   * (beside the conversations' state, under other keys), so that a restart hands out no extra answers.
   * Store.purge clears a key a customer has not used within RETENTION_DAYS.
   */
  answers: KeyValueStore<unknown>;
  perDay: number;
  now?: () => number;
  /** Told each time someone is turned away (metrics). */
  onReached?: () => void;
}

export function createLeadCap(deps: LeadCapDeps): LeadCap {
  const now = deps.now ?? Date.now;
  const keyOf = (userId: number) => `lead-cap:${userId}`;

  async function answersSince(userId: number, since: number): Promise<number[]> {
    const stored = await deps.answers.read(keyOf(userId));
    // Anything but a list of times counts as none: the cap must not fail a customer's update.
    return Array.isArray(stored) ? stored.filter((at): at is number => typeof at === "number" && at >= since) : [];
  }

  return {
    async reached(userId, role) {
      if (role !== "customer") return false;
      const since = now() - DAY_MS;
      const used = (await deps.leads.countByUserSince(userId, since)) + (await answersSince(userId, since)).length;
      const reached = used >= deps.perDay;
      if (reached) deps.onReached?.();
      return reached;
    },
    async countAnswer(userId, role) {
      if (role !== "customer") return;
      const at = now();
      // Only the last day counts, and never more than perDay of it: the value stays a few numbers.
      const recent = [...(await answersSince(userId, at - DAY_MS)), at].slice(-deps.perDay);
      await deps.answers.write(keyOf(userId), recent);
    },
  };
}

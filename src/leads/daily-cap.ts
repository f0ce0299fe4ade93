import type { Role } from "../bot/roles.js";
import type { LeadStore } from "../store/types.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** At most LEADS_PER_USER_PER_DAY new leads from one customer in any 24 hours, so one person cannot flood the CRM. */
export interface LeadCap {
  /** True when this person may not hand in another lead now. Agents and admins never reach it. */
  reached(userId: number, role: Role): Promise<boolean>;
}

export function createLeadCap(deps: {
  leads: Pick<LeadStore, "countByUserSince">;
  perDay: number;
  now?: () => number;
  /** Told each time someone is turned away (metrics). */
  onReached?: () => void;
}): LeadCap {
  const now = deps.now ?? Date.now;
  return {
    async reached(userId, role) {
      if (role !== "customer") return false;
      const reached = (await deps.leads.countByUserSince(userId, now() - DAY_MS)) >= deps.perDay;
      if (reached) deps.onReached?.();
      return reached;
    },
  };
}

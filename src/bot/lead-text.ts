import { formatPhone } from "../phone.js";
import type { LeadRecord } from "../store/types.js";

/**
 * The variables of every message about a lead: its Brainysoft number as a string (Fluent would group
 * the digits, "1 000") and the phone as a person writes it.
 */
export function leadVars(
  lead: Pick<LeadRecord, "phone" | "brainysoftId">,
  format: (digits: string) => string = formatPhone,
): { number: string; phone: string } {
  return { number: String(lead.brainysoftId ?? ""), phone: format(lead.phone) };
}

/** Only the Telegram account that handed a lead in may learn that it exists, or its number. */
export function isOwnLead(lead: Pick<LeadRecord, "userId">, userId: number): boolean {
  return lead.userId === userId;
}

export type DuplicateMessage = "lead-duplicate" | "lead-duplicate-pending" | "lead-received-neutral";

/**
 * What the customer flow tells `userId` about a recent lead with the phone they gave. Its creator
 * hears that it is there, with its number (or that the number is coming). Anyone else (a stranger
 * typing someone's number, or the phone's owner whose lead an agent or another account handed in)
 * gets the neutral thanks: no number, no "already", and no promise of a number later, which would
 * go to the creator's chat. That answer is also no different for a lead registered or still pending,
 * so it tells nothing about someone else's lead but that a call will come; it counts against the
 * daily cap (see daily-cap.ts), so that even this cannot be probed in bulk. Agents keep seeing
 * duplicates with their numbers in their own feature (features/agent.ts): they are staff.
 */
export function duplicateMessage(lead: LeadRecord, userId: number): DuplicateMessage {
  if (!isOwnLead(lead, userId)) return "lead-received-neutral";
  // The number is sent later to the chat the lead came from: the creator's private chat.
  return lead.brainysoftId !== undefined ? "lead-duplicate" : "lead-duplicate-pending";
}

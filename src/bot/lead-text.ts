import { formatPhone } from "../phone.js";
import type { LeadRecord } from "../store/types.js";

/**
 * The variables of every message about a lead: its Brainysoft number as a string (Fluent would group
 * the digits, "1 000") and the phone as a person writes it.
 */
export function leadVars(lead: Pick<LeadRecord, "phone" | "brainysoftId">): { number: string; phone: string } {
  return { number: String(lead.brainysoftId ?? ""), phone: formatPhone(lead.phone) };
}

/** What a person is told about a recent lead with their phone, as seen from `chatId`. */
export function duplicateMessage(lead: LeadRecord, chatId: number): string {
  if (lead.brainysoftId !== undefined) return "lead-duplicate";
  // The number is sent later only to the chat the lead came from: promise it to no one else.
  return lead.chatId === chatId ? "lead-duplicate-pending" : "lead-duplicate-pending-elsewhere";
}

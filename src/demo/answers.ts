/**
 * The JSON the sandbox server answers and the page reads: one set of types for both sides, so a change
 * to a route that the page does not follow fails the type check. Every answer also carries `ok: true`;
 * a failure is `{ ok: false, error }`.
 */
import type { ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove } from "grammy/types";
import type { SentFile, SentMessage } from "../fakes/fake-telegram.js";
import type { LeadEvent, LeadState } from "../store/types.js";
import type { CrmRow, DemoFault } from "./crm-view.js";
import type { Persona } from "./personas.js";

/** GET /demo/info */
export interface InfoAnswer {
  bot: { first_name: string; username: string | undefined };
  personas: readonly Persona[];
  faults: DemoFault[];
}

/** GET /demo/crm, and POST /demo/crm/fault answers `fault` alone. */
export interface CrmAnswer {
  fault: DemoFault;
  leads: CrmRow[];
  queue: Record<LeadState, number>;
}

/** GET /demo/events */
export interface EventsAnswer {
  events: LeadEvent[];
}

/** GET /demo/commands */
export interface CommandsAnswer {
  commands: { command: string; description: string }[];
}

export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;

/** One record of a chat as the fake Telegram's control route gives it: file contents and raw parameters left out. */
export type MessageRecord = Omit<SentMessage, "reply_markup" | "raw" | "document"> & {
  reply_markup?: ReplyMarkup;
  document?: Omit<SentFile, "content">;
};

/** GET /control/chats/:id/messages */
export interface MessagesAnswer {
  messages: MessageRecord[];
  lastSeq: number;
  lastMessageId: number;
}

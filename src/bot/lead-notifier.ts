import type { Api } from "grammy";
import { escapeHtml } from "../html.js";
import type { OutboxListener } from "../leads/outbox-events.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import type { LeadRecord } from "../store/types.js";
import { leadVars } from "./lead-text.js";
import { createSendPacer, type SendPacer } from "./send-pacer.js";

/**
 * Tells people what became of a lead after they were answered "saved, will be registered": the
 * number once Brainysoft has it, or that staff will call when it never got one.
 */
export function createLeadNotifier(deps: { api: Api; t: Translate; log: Logger; pacer?: SendPacer }): OutboxListener {
  // After an outage hundreds of these go out at once: paced under Telegram's broadcast and per-chat limits.
  const pacer = deps.pacer ?? createSendPacer();
  const send = async (chatId: number, text: string) => {
    await pacer.wait(chatId);
    await deps.api.sendMessage(chatId, text, { reply_markup: { remove_keyboard: true } });
  };
  // An agent handed in someone else's contact: they are told which one, in one line like their other answers.
  const agentVars = (lead: LeadRecord) => ({
    ...leadVars(lead),
    name: escapeHtml([lead.firstName, lead.lastName].filter(Boolean).join(" ")),
  });
  return {
    async delivered(lead, brainysoftId) {
      if (lead.actor === "agent") {
        await send(lead.chatId, deps.t(lead.locale, "agent-delivered-later", agentVars({ ...lead, brainysoftId })));
        return;
      }
      await send(lead.chatId, deps.t(lead.locale, "lead-delivered-later", leadVars({ ...lead, brainysoftId })));
    },
    async gaveUp(lead, state) {
      // Held because Brainysoft may have created it: not a refusal, a specialist checks it.
      const unconfirmed = state === "rejected" && lead.lastError === "unconfirmed";
      if (lead.actor === "agent") {
        await send(lead.chatId, deps.t(lead.locale, unconfirmed ? "agent-unconfirmed" : "agent-failed-later", agentVars(lead)));
        return;
      }
      const key = unconfirmed ? "lead-unconfirmed" : state === "failed" ? "lead-failed-later" : "lead-rejected";
      await send(lead.chatId, deps.t(lead.locale, key, leadVars(lead)));
    },
  };
}

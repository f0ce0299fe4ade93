import type { Api } from "grammy";
import { formatPhone } from "../phone.js";
import type { OutboxListener } from "../leads/outbox.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";

/**
 * Tells people what became of a lead after they were answered "saved, will be registered": the
 * number once Brainysoft has it, or that staff will call when it never got one.
 */
export function createLeadNotifier(deps: { api: () => Api; t: Translate; log: Logger }): OutboxListener {
  const send = async (chatId: number, text: string) => {
    await deps.api().sendMessage(chatId, text, { reply_markup: { remove_keyboard: true } });
  };
  return {
    async delivered(lead, brainysoftId) {
      const phone = formatPhone(lead.phone);
      await send(lead.chatId, deps.t(lead.locale, "lead-delivered-later", { number: String(brainysoftId), phone }));
    },
    async gaveUp(lead, state) {
      const key = state === "failed" ? "lead-failed-later" : "lead-rejected";
      await send(lead.chatId, deps.t(lead.locale, key, { phone: formatPhone(lead.phone) }));
    },
  };
}

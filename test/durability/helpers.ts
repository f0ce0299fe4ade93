/** Small pieces shared by the durability tests. */
import type { FakeTelegram, FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf, valueIn } from "../harness/locale.js";

/**
 * A private-chat text message as Telegram sends it, built by the test so that the very same update
 * can be delivered again (with `injectRaw({ update_id, message })`), as Telegram does after a crash.
 */
export function privateText(user: FakeUser, text: string, messageId: number): Record<string, unknown> {
  const message: Record<string, unknown> = {
    message_id: messageId,
    from: { id: user.id, is_bot: false, first_name: user.first_name, language_code: user.language_code },
    chat: { id: user.id, type: "private", first_name: user.first_name },
    date: Math.floor(Date.now() / 1000),
    text,
  };
  if (text.startsWith("/")) message.entities = [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }];
  return message;
}

/** The messages that tell a customer their lead's number (the fake users speak Russian). */
const NUMBER_KEYS = ["lead-created", "lead-delivered-later", "lead-duplicate"];

/** The lead number a message tells the person, read back through its locale key; undefined when it tells none. */
export function leadNumber(message: SentMessage): number | undefined {
  for (const key of NUMBER_KEYS) {
    const number = valueIn(key, "number", message.plainText ?? "");
    if (number !== undefined) return Number(number);
  }
  return undefined;
}

/** Messages that carry a lead number, in the order the person received them. */
export function numbersSentTo(telegram: FakeTelegram, chatId: number): number[] {
  return telegram
    .sent(chatId)
    .filter((m) => m.method === "sendMessage")
    .map(leadNumber)
    .filter((n): n is number => n !== undefined);
}

/** Messages the person sees at each step (the fake users speak Russian), from the locale files. */
export const SEES = {
  greeting: patternOf("start-greeting"),
  // A Telegram user always has a first name, which the bot offers on a button.
  nameQuestion: patternOf("name-ask", "ru", { vars: { suggested: "yes" } }),
  phoneQuestion: patternOf("phone-ask"),
  created: patternOf("lead-created"),
  queued: patternOf("lead-queued"),
  deliveredLater: patternOf("lead-delivered-later"),
  duplicate: patternOf("lead-duplicate"),
} as const;

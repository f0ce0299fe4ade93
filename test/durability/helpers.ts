/** Small pieces shared by the durability tests. */
import type { FakeTelegram, FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";

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

/** "… № 1000 …" in what the person sees: the lead number, or undefined when there is none. */
export function leadNumber(message: SentMessage): number | undefined {
  const match = /№ (\d+)/.exec(message.plainText ?? "");
  return match ? Number(match[1]) : undefined;
}

/** Messages that carry a lead number, in the order the person received them. */
export function numbersSentTo(telegram: FakeTelegram, chatId: number): number[] {
  return telegram
    .sent(chatId)
    .filter((m) => m.method === "sendMessage")
    .map(leadNumber)
    .filter((n): n is number => n !== undefined);
}

/** Russian texts the person sees at each step (the fake users speak Russian). */
export const SEES = {
  greeting: /Здравствуйте/,
  nameQuestion: /Как вас зовут/,
  phoneQuestion: /Приятно познакомиться, .*поделитесь номером/,
  created: /заявка № \d+ принята/,
  queued: /данные сохранены/,
  deliveredLater: /заявка зарегистрирована: № \d+/,
  duplicate: /уже зарегистрирована: № \d+/,
  duplicatePending: /уже получена/,
} as const;

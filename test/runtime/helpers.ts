/** Small pieces shared by the runtime tests. */
import { createServer } from "node:net";
import type { FakeTelegram, FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf } from "../harness/locale.js";

export const WAIT = 20_000;

/** Messages a Russian-speaking customer sees (the fake users speak Russian), from the locale files. */
export const SEES = {
  greeting: patternOf("start-greeting"),
  // A Telegram user always has a first name, which the bot offers on a button.
  nameQuestion: patternOf("name-ask", "ru", { vars: { suggested: "yes" } }),
  phoneQuestion: patternOf("phone-ask"),
  created: patternOf("lead-created"),
  help: patternOf("help"),
  rateLimited: patternOf("rate-limited"),
  limitReached: patternOf("lead-limit-reached"),
} as const;

/** A port nobody listens on right now, for a webhook URL that must be known before the bot starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export function customer(id: number, first_name = "Анна"): FakeUser {
  return { id, first_name, language_code: "ru" };
}

/** A valid Russian mobile number per index: 7977 620 0000 + i. */
export function phoneOf(index: number): string {
  return `7977${String(6_200_000 + index).padStart(7, "0")}`;
}

/** /start, greeting, name question, the name: returns the phone question. */
export async function upToPhone(telegram: FakeTelegram, user: FakeUser, timeoutMs = WAIT): Promise<SentMessage[]> {
  telegram.sendText(user, "/start");
  const greeting = await telegram.nextMessage(user.id, timeoutMs);
  const nameQuestion = await telegram.nextMessage(user.id, timeoutMs);
  telegram.sendText(user, user.first_name);
  const phoneQuestion = await telegram.nextMessage(user.id, timeoutMs);
  return [greeting, nameQuestion, phoneQuestion];
}

/** Messages in a chat whose visible text matches. */
export function countSent(telegram: FakeTelegram, chatId: number, pattern: RegExp): number {
  return telegram.sent(chatId).filter((m) => m.method === "sendMessage" && pattern.test(m.plainText ?? "")).length;
}

/** Small pieces shared by the runtime tests. */
import { createServer } from "node:net";
import type { FakeTelegram, FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";

export const WAIT = 20_000;

/** Texts a Russian-speaking customer sees (the fake users speak Russian). */
export const SEES = {
  greeting: /Здравствуйте/,
  nameQuestion: /Как вас зовут/,
  phoneQuestion: /Приятно познакомиться/,
  created: /заявка № \d+ принята/,
  help: /\/cancel/,
  rateLimited: /слишком часто/,
  limitReached: /уже оставили несколько заявок сегодня/,
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

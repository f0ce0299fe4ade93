/**
 * A conversation is replayed from what it stored on every update, so what it stores must stay small
 * however patient the person: refused answers are not kept, a conversation that kept too many answers
 * starts over, and a chat's stored state has a byte limit.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MAX_CONVERSATION_BYTES } from "../../src/bot/conversations/bounded-storage.js";
import { MAX_KEPT_ANSWERS } from "../../src/bot/conversations/lead.js";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf, textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";

const fridrich: FakeUser = { id: 5101, first_name: "Фридрих", language_code: "ru" };
const WAIT = 15_000;
// 150 messages in a few seconds: far over the default 15 in 10 s, which would drop them before the conversation.
const NO_RATE_LIMIT = { rateLimit: { limit: 10_000, windowMs: 1_000 } };

let t: TestApp;
afterEach(async () => t?.close());

/** The chat's stored conversation: its JSON size and how many Telegram updates it holds (each replayed per update). */
async function stored(user: FakeUser): Promise<{ bytes: number; updates: number } | undefined> {
  const value = await t.app.store.conversations.read(`conversation:${user.id}`);
  if (value === undefined) return undefined;
  const json = JSON.stringify(value);
  return { bytes: Buffer.byteLength(json), updates: json.match(/"update_id":/g)?.length ?? 0 };
}

/** Resolves once the update's handling has ended (its log line is written last, after the state). */
async function handled(updateId: number): Promise<void> {
  const line = new RegExp(`"update":${updateId},[^\\n]*"msg":"update"`);
  await expect.poll(() => line.test(t.logText()), { timeout: WAIT, interval: 5 }).toBe(true);
}

/** Sends `send`, waits for the bot's answer and for the update's state to be stored. */
async function answered(user: FakeUser, send: () => number): Promise<SentMessage> {
  const updateId = send();
  const answer = await t.telegram.nextMessage(user.id, WAIT);
  await handled(updateId);
  return answer;
}
const say = (user: FakeUser, text: string) => answered(user, () => t.telegram.sendText(user, text));

/** /start and the name: the phone question. */
async function upToPhone(user: FakeUser): Promise<void> {
  await say(user, "/start");
  expect((await t.telegram.nextMessage(user.id, WAIT)).plainText).toBe(textOf("name-ask", { suggested: "yes" }));
  expect((await say(user, user.first_name)).plainText).toMatch(patternOf("phone-ask"));
}

describe("the stored conversation", () => {
  it("stays the same size while someone sends 150 messages at the phone question, then completes", async () => {
    t = await startTestApp({ runtime: NO_RATE_LIMIT });
    await upToPhone(fridrich);
    const atPhoneQuestion = await stored(fridrich);
    // The /start that entered the conversation and the name: all it replays.
    expect(atPhoneQuestion?.updates).toBe(2);
    expect(atPhoneQuestion?.bytes).toBeLessThan(4_096);

    const letters = textOf("phone-refused", { reason: "letters", country: "" });
    const notUnderstood = patternOf("input-not-understood");
    // Long texts, short ones, stickers, commands, wrong numbers, someone else's contact.
    const sends: Array<[() => number, RegExp | string]> = [
      [() => t.telegram.sendText(fridrich, "перезвоните мне пожалуйста ".repeat(150)), letters],
      [() => t.telegram.sendText(fridrich, "алло"), letters],
      [() => t.telegram.sendSticker(fridrich), notUnderstood],
      [() => t.telegram.sendText(fridrich, "/foo"), notUnderstood],
      [() => t.telegram.sendText(fridrich, "12345"), textOf("phone-refused", { reason: "too-short", country: "" })],
      [
        () => t.telegram.sendContact(fridrich, { phone_number: "+79161234567", first_name: "Мама", user_id: 777 }),
        patternOf("phone-foreign-contact"),
      ],
    ];
    const sizes = new Set<number>();
    const updates = new Set<number>();
    for (let i = 0; i < 150; i++) {
      const [send, expected] = sends[i % sends.length]!;
      const answer = await answered(fridrich, send);
      if (typeof expected === "string") expect(answer.plainText).toBe(expected);
      else expect(answer.plainText).toMatch(expected);
      const now = await stored(fridrich);
      sizes.add(now?.bytes ?? 0);
      updates.add(now?.updates ?? 0);
    }
    expect([...sizes]).toEqual([atPhoneQuestion?.bytes]);
    expect([...updates]).toEqual([2]);

    expect((await say(fridrich, "89776200777")).plainText).toMatch(patternOf("lead-created"));
    expect(await stored(fridrich)).toBeUndefined();
    expect(t.crm.received).toHaveLength(1);
  }, 90_000);

  it(`starts over with a notice after ${MAX_KEPT_ANSWERS} kept answers, so Brainysoft refusing a name forever cannot grow it`, async () => {
    t = await startTestApp({ runtime: NO_RATE_LIMIT });
    t.crm.setFieldError("firstName", 1_000);
    await upToPhone(fridrich);
    const atNameQuestion: number[] = [];
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("name-ask-again"));
    // Name and phone are two kept answers; each refused name asked again keeps one more.
    for (let kept = 3; kept < MAX_KEPT_ANSWERS; kept++) {
      atNameQuestion.push((await stored(fridrich))?.bytes ?? 0);
      expect((await say(fridrich, `Фридрих ${kept}`)).plainText).toBe(textOf("name-ask-again"));
    }
    const largest = (await stored(fridrich))?.bytes ?? 0;
    expect(largest).toBeLessThan(MAX_CONVERSATION_BYTES / 2);

    // The next refusal: the notice, then the first question again, with only the /start kept.
    expect((await say(fridrich, "Фридрих К.")).plainText).toBe(textOf("conversation-restarted"));
    expect((await t.telegram.nextMessage(fridrich.id, WAIT)).plainText).toBe(textOf("name-ask", { suggested: "yes" }));
    const restarted = await stored(fridrich);
    expect(restarted?.updates).toBe(1);
    expect(restarted?.bytes).toBeLessThan(atNameQuestion[0]!);
    expect(t.crm.received).toHaveLength(MAX_KEPT_ANSWERS - 1);

    // Brainysoft takes the name now: the restarted conversation asks for the phone again and completes.
    t.crm.setFieldError(undefined);
    expect((await say(fridrich, "Фридрих")).plainText).toMatch(patternOf("phone-ask"));
    expect((await say(fridrich, "89776200777")).plainText).toMatch(patternOf("lead-created"));
    expect(t.crm.created.map((lead) => lead.body)).toEqual([{ firstName: "Фридрих", mobilePhone: "79776200777" }]);
  }, 60_000);

  it("ends a conversation whose stored state grows past its byte limit, with a notice", async () => {
    t = await startTestApp({ runtime: NO_RATE_LIMIT });
    t.crm.setFieldError("firstName", 1_000);
    await upToPhone(fridrich);
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("name-ask-again"));
    // Names that quote a long message: each kept answer is a whole update, quote and all (about 8 KB).
    const quoting = (i: number) => () =>
      t.telegram.injectRaw({
        message: {
          message_id: 90_000 + i,
          from: { id: fridrich.id, is_bot: false, first_name: fridrich.first_name, language_code: "ru" },
          chat: { id: fridrich.id, type: "private", first_name: fridrich.first_name },
          date: Math.floor(Date.now() / 1000),
          text: "Фридрих",
          reply_to_message: {
            message_id: 80_000 + i,
            from: { id: fridrich.id, is_bot: false, first_name: fridrich.first_name },
            chat: { id: fridrich.id, type: "private", first_name: fridrich.first_name },
            date: Math.floor(Date.now() / 1000),
            text: "я".repeat(4_000),
          },
        },
      });
    let dropped: SentMessage | undefined;
    for (let i = 0; i < MAX_KEPT_ANSWERS && !dropped; i++) {
      const answer = await answered(fridrich, quoting(i));
      expect(answer.plainText).toBe(textOf("name-ask-again"));
      const sizeAfter = await stored(fridrich);
      if (sizeAfter === undefined) dropped = await t.telegram.nextMessage(fridrich.id, WAIT);
      else expect(sizeAfter.bytes).toBeLessThanOrEqual(MAX_CONVERSATION_BYTES);
    }
    expect(dropped?.plainText).toBe(textOf("conversation-dropped"));
    expect(t.logText()).toContain("conversation state over its size limit");
    // The conversation is over: a phone now is outside it, and /start begins a new one.
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("fallback-pointer"));
    await say(fridrich, "/start");
    expect((await t.telegram.nextMessage(fridrich.id, WAIT)).plainText).toBe(textOf("name-ask", { suggested: "yes" }));
  }, 60_000);
});

/**
 * 100 customers at once in polling mode while Telegram answers every fifth call with 429 (retry after
 * 1 s): every lead completes, each chat sees its messages in order, and none is sent twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { customer, phoneOf, SEES } from "./helpers.js";

const CUSTOMERS = 100;
const WAIT = 45_000;

let t: TestApp;
afterEach(async () => t?.close());

/** One customer's whole dialogue, step by step, as a person would: each answer after the question. */
async function applyForLoan(user: FakeUser, index: number): Promise<void> {
  t.telegram.sendText(user, "/start");
  await t.telegram.nextMessage(user.id, WAIT);
  await t.telegram.nextMessage(user.id, WAIT);
  t.telegram.sendText(user, user.first_name);
  await t.telegram.nextMessage(user.id, WAIT);
  t.telegram.sendText(user, phoneOf(index));
  await t.telegram.nextMessage(user.id, WAIT);
}

describe("100 customers at once, with Telegram's flood control", () => {
  it("completes every lead with each chat's messages in order, waiting out the 429s", async () => {
    t = await startTestApp();
    t.telegram.failEvery(5, { code: 429, description: "Too Many Requests: retry after 1", retry_after: 1 });
    const users = Array.from({ length: CUSTOMERS }, (_, i) => customer(700_000 + i, i % 2 === 0 ? "Анна" : "Борис"));

    await Promise.all(users.map((user, i) => applyForLoan(user, i)));

    expect(t.crm.created).toHaveLength(CUSTOMERS);
    expect(new Set(t.crm.created.map((l) => l.body.mobilePhone))).toEqual(new Set(users.map((_, i) => phoneOf(i))));
    const throttled = t.telegram.calls.filter((c) => c.error?.code === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(CUSTOMERS);

    // Should a step fail (an apology in place of an answer), the message names the bot's logged errors.
    const errors = t
      .logText()
      .split("\n")
      .filter((line) => line.includes('"level":50'))
      .slice(0, 3)
      .join("\n");
    for (const [i, user] of users.entries()) {
      const texts = t.telegram
        .sent(user.id)
        .filter((m) => m.method === "sendMessage")
        .map((m) => m.plainText ?? "");
      // Exactly the four messages, in the dialogue's order: a 429 delays a message, it never reorders or repeats one.
      expect(texts).toHaveLength(4);
      expect(texts[0]).toMatch(SEES.greeting);
      expect(texts[1]).toMatch(SEES.nameQuestion);
      expect(texts[2]).toMatch(SEES.phoneQuestion);
      expect(texts[2]).toContain(user.first_name);
      expect(texts[3], errors).toMatch(SEES.created);
      const lead = t.crm.created.find((l) => l.body.mobilePhone === phoneOf(i));
      expect(texts[3]).toContain(`№ ${lead?.id}`);
      expect(lead?.body.firstName).toBe(user.first_name);
    }
  }, 90_000);
});

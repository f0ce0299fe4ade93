/**
 * Delayed confirmations to many people at once (leads that waited out an outage, delivered together)
 * go out paced under Telegram's broadcast limit.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { phoneOf, WAIT } from "./helpers.js";

const PEOPLE = 60;
let t: TestApp;
afterEach(async () => t?.close());

describe("delayed confirmations after an outage", () => {
  it("are sent to everyone, never more than 30 in a second", async () => {
    t = await startTestApp();
    // The leads the outage left behind, all due at once, as after a restart.
    await t.app.leads.stop();
    const chats = Array.from({ length: PEOPLE }, (_, i) => 810_000 + i);
    for (const [i, chatId] of chats.entries()) {
      await t.app.store.leads.insertUnlessDuplicate(
        { chatId, userId: chatId, firstName: "Анна", phone: phoneOf(100 + i), source: "direct", actor: "customer", locale: "ru" },
        0,
        Date.now(),
      );
    }
    await t.restart();

    for (const chatId of chats) {
      await t.telegram.waitForMessage(chatId, (m) => /заявка зарегистрирована: № \d+/.test(m.plainText ?? ""), WAIT);
    }
    expect(t.crm.created).toHaveLength(PEOPLE);
    const times = chats.map((chatId) => t.telegram.sent(chatId)[0]!.at).sort((a, b) => a - b);
    const busiestSecond = Math.max(...times.map((start) => times.filter((at) => at >= start && at < start + 1000).length));
    expect(busiestSecond).toBeLessThanOrEqual(30);
    // 60 messages at 25 a second take more than two seconds, however fast Brainysoft answers.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(2_000);
  }, 60_000);
});

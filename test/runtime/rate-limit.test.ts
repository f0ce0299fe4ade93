/** Abuse control end to end: a flooding person is slowed alone, and one customer cannot flood the CRM with leads. */
import { afterEach, describe, expect, it } from "vitest";
import { textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { countSent, customer, phoneOf, SEES, upToPhone, WAIT } from "./helpers.js";

/** What a customer hears for a message outside the conversation: "tap /start". */
const FALLBACK = textOf("fallback-pointer");

let t: TestApp;
afterEach(async () => t?.close());

describe("the per-person rate limit", () => {
  it("answers a flood with one notice and drops the rest, while another customer is served normally", async () => {
    // A window longer than the test: every update of the burst falls into the same one.
    t = await startTestApp({ env: { METRICS: "true" }, runtime: { rateLimit: { limit: 5, windowMs: 60_000 } } });
    const flooder = customer(6301, "Фёдор");
    const anna = customer(6302);
    for (let i = 0; i < 40; i++) t.telegram.sendText(flooder, `спам ${i}`);

    // Meanwhile Anna applies, step by step.
    await upToPhone(t.telegram, anna);
    t.telegram.sendText(anna, phoneOf(21));
    expect((await t.telegram.nextMessage(anna.id, WAIT)).plainText).toMatch(SEES.created);

    // The flood: five answered, then one polite notice, then silence.
    const notice = await t.telegram.waitForMessage(flooder.id, (m) => SEES.rateLimited.test(m.plainText ?? ""), WAIT);
    expect(notice.plainText).toBe(textOf("rate-limited"));
    const address = t.app.httpAddress()!;
    const dropped = async () => {
      const text = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
      return Number(/^leadbot_updates_rate_limited_total (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    await expect.poll(dropped, { timeout: WAIT }).toBe(35);
    const flooderTexts = t.telegram.sent(flooder.id).map((m) => m.plainText ?? "");
    expect(flooderTexts.filter((text) => text === FALLBACK)).toHaveLength(5);
    expect(flooderTexts.filter((text) => SEES.rateLimited.test(text))).toHaveLength(1);
    expect(flooderTexts).toHaveLength(6);
    // Anna never saw the notice, and only her lead reached the CRM.
    expect(countSent(t.telegram, anna.id, SEES.rateLimited)).toBe(0);
    expect(t.crm.received.map((r) => r.body.mobilePhone)).toEqual([phoneOf(21)]);
  });

  it("does not limit agents", async () => {
    t = await startTestApp({ env: { AGENT_IDS: "6303" }, runtime: { rateLimit: { limit: 3, windowMs: 60_000 } } });
    const agent = customer(6303, "Агент");
    for (let i = 0; i < 8; i++) t.telegram.sendText(agent, "/help");
    await expect.poll(() => t.telegram.sent(agent.id).length, { timeout: WAIT }).toBeGreaterThanOrEqual(8);
    expect(countSent(t.telegram, agent.id, SEES.rateLimited)).toBe(0);
  });
});

describe("leads per customer per day", () => {
  it("takes LEADS_PER_USER_PER_DAY leads from one customer, then says so before asking anything", async () => {
    t = await startTestApp({ env: { LEADS_PER_USER_PER_DAY: "2" } });
    const anna = customer(6401);
    for (const index of [31, 32]) {
      await upToPhone(t.telegram, anna);
      t.telegram.sendText(anna, phoneOf(index));
      expect((await t.telegram.nextMessage(anna.id, WAIT)).plainText).toMatch(SEES.created);
    }

    t.telegram.sendText(anna, "/start");
    const refused = await t.telegram.nextMessage(anna.id, WAIT);
    expect(refused.plainText).toMatch(SEES.limitReached);
    // A contact shared without /start is turned away the same way.
    t.telegram.sendContact(anna, { phone_number: `+${phoneOf(33)}`, first_name: "Анна", user_id: anna.id });
    expect((await t.telegram.nextMessage(anna.id, WAIT)).plainText).toMatch(SEES.limitReached);
    // Another customer is not affected.
    const boris = customer(6402, "Борис");
    await upToPhone(t.telegram, boris);
    t.telegram.sendText(boris, phoneOf(34));
    expect((await t.telegram.nextMessage(boris.id, WAIT)).plainText).toMatch(SEES.created);
    expect(t.crm.received.map((r) => r.body.mobilePhone)).toEqual([phoneOf(31), phoneOf(32), phoneOf(34)]);
  });

  it("checks the cap again right before sending, when a lead came in during the conversation", async () => {
    t = await startTestApp({ env: { LEADS_PER_USER_PER_DAY: "1" } });
    const anna = customer(6403);
    await upToPhone(t.telegram, anna);
    // A lead from the same person lands meanwhile (written straight to the store, as another instance would).
    await t.app.store.leads.insertUnlessDuplicate(
      { chatId: anna.id, userId: anna.id, firstName: "Анна", phone: phoneOf(35), source: "direct", actor: "customer", locale: "ru" },
      60_000,
      Date.now(),
    );
    t.telegram.sendText(anna, phoneOf(36));
    const answer = await t.telegram.nextMessage(anna.id, WAIT);
    expect(answer.plainText).toMatch(SEES.limitReached);
    expect(answer.reply_markup).toEqual({ remove_keyboard: true });
    // The outbox sends the other lead on its own; the one typed here never reaches the CRM.
    await t.crm.waitForCreated(1, WAIT);
    expect(t.crm.received.map((r) => r.body.mobilePhone)).toEqual([phoneOf(35)]);
  });
});

describe("group chats", () => {
  it("point to the private chat in one line when addressed, and take no lead there", async () => {
    t = await startTestApp();
    const anna = customer(6501);
    t.telegram.sendText(anna, "/start", { chatId: -100_6501 });
    const pointer = await t.telegram.nextMessage(-100_6501, WAIT);
    expect(pointer.plainText).toBe(textOf("group-pointer"));
    expect(pointer.plainText).not.toContain("\n");
    t.telegram.sendText(anna, "89776200777", { chatId: -100_6501 });
    t.telegram.sendText(anna, "/help");
    await t.telegram.nextMessage(anna.id, WAIT);
    expect(t.telegram.sent(-100_6501)).toHaveLength(1);
    expect(t.crm.received).toEqual([]);
  });
});

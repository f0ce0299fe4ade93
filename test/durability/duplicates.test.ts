/**
 * One lead per person and phone, whatever arrives twice: the same update again, a double tap, two
 * people racing with the same number. And the deep-link source of /start is recorded with the lead.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { leadNumber, numbersSentTo, privateText, SEES } from "./helpers.js";

const fridrich: FakeUser = { id: 7201, first_name: "Фридрих", language_code: "ru" };
const anna: FakeUser = { id: 7202, first_name: "Анна", language_code: "ru" };
const WAIT = 15_000;

let t: TestApp;
afterEach(async () => t?.close());

const next = (user: FakeUser) => t.telegram.nextMessage(user.id, WAIT);

async function say(user: FakeUser, text: string): Promise<SentMessage> {
  t.telegram.sendText(user, text);
  return next(user);
}

async function upToPhone(user: FakeUser, start = "/start"): Promise<void> {
  expect((await say(user, start)).plainText).toMatch(SEES.greeting);
  expect((await next(user)).plainText).toMatch(SEES.nameQuestion);
  expect((await say(user, user.first_name)).plainText).toMatch(SEES.phoneQuestion);
}

const ownContact = (user: FakeUser, phone: string) => ({ phone_number: phone, first_name: user.first_name, user_id: user.id });

describe("repeated updates", () => {
  it("handles an update delivered twice in one batch once", async () => {
    t = await startTestApp();
    expect((await say(fridrich, "/start")).plainText).toMatch(SEES.greeting);
    expect((await next(fridrich)).plainText).toMatch(SEES.nameQuestion);
    const name = privateText(fridrich, "Фридрих", 501);
    t.telegram.injectRaw({ update_id: 1_000, message: name });
    t.telegram.injectRaw({ update_id: 1_000, message: name });
    expect((await next(fridrich)).plainText).toMatch(SEES.phoneQuestion);
    // Had the copy been handled, "Фридрих" would have been refused as a phone number before this answer.
    expect((await say(fridrich, "89776200777")).plainText).toMatch(SEES.created);
    expect(t.crm.received).toHaveLength(1);
  });

  it("ignores a handled update that Telegram sends again later, also after a restart", async () => {
    t = await startTestApp();
    await upToPhone(fridrich);
    const phone = privateText(fridrich, "89776200777", 502);
    const updateId = t.telegram.injectRaw({ message: phone });
    const done = await next(fridrich);
    expect(done.plainText).toMatch(SEES.created);

    t.telegram.injectRaw({ update_id: updateId, message: phone });
    await t.restart();
    t.telegram.injectRaw({ update_id: updateId, message: phone });
    // Handled again, the phone outside a conversation would get the "tap /start" pointer first.
    expect((await say(fridrich, "/help")).plainText).toBe(textOf("help"));
    expect(t.crm.received).toHaveLength(1);
    expect(numbersSentTo(t.telegram, fridrich.id)).toEqual([t.crm.created[0]!.id]);
    expect(t.logText()).toContain("repeated update ignored");
  });
});

describe("double taps and races", () => {
  it("makes one Brainysoft call for a contact shared twice in quick succession", async () => {
    t = await startTestApp();
    await upToPhone(fridrich);
    // Slow enough that the second tap arrives while the first is being registered.
    t.crm.setFault("slow", { slowMs: 500, times: 1 });
    t.telegram.sendContact(fridrich, ownContact(fridrich, "79776200777"));
    t.telegram.sendContact(fridrich, ownContact(fridrich, "79776200777"));
    const done = await next(fridrich);
    expect(done.plainText).toMatch(SEES.created);
    const number = leadNumber(done);

    // The second tap came after the conversation had ended: it is answered with the lead just made.
    const again = await next(fridrich);
    expect(again.plainText).toMatch(SEES.duplicate);
    expect(leadNumber(again)).toBe(number);
    expect(t.crm.received).toHaveLength(1);
    expect(await t.app.store.leads.countByState()).toMatchObject({ pending: 0, delivered: 1 });
  });

  it("makes one Brainysoft call when two people send the same number at the same moment", async () => {
    t = await startTestApp();
    await upToPhone(fridrich);
    await upToPhone(anna);
    t.crm.setFault("slow", { slowMs: 1_000, times: 1 });
    t.telegram.sendText(fridrich, "89776200777");
    t.telegram.sendText(anna, "+7 977 620-07-77");
    const answers = await Promise.all([next(fridrich), next(anna)]);

    expect(t.crm.received).toHaveLength(1);
    const [winner, loser] = SEES.created.test(answers[0].plainText ?? "") ? answers : [answers[1], answers[0]];
    expect(winner.plainText).toMatch(SEES.created);
    expect(leadNumber(winner)).toBe(t.crm.created[0]?.id);
    // The other learns nothing about a lead that is not theirs: neither "already" nor a number, nor a
    // promise of one (it goes to the chat the lead came from).
    expect(loser.plainText).toBe(textOf("lead-received-neutral", { phone: "+7 977 620-07-77" }));
    const leads = await t.app.store.leads.listCreatedBetween(0, Date.now() + 1);
    expect(leads).toHaveLength(1);
    expect(leads[0]?.chatId).toBe(winner.chat_id);
  });

  it("tells the same person their pending lead is registering, and sends its number when it is", async () => {
    t = await startTestApp();
    t.crm.setFault("http503");
    await upToPhone(fridrich);
    expect((await say(fridrich, "89776200777")).plainText).toMatch(SEES.queued);
    await upToPhone(fridrich);
    const pending = await say(fridrich, "89776200777");
    // The whole answer: the lead is registering, and its number will be sent here.
    expect(pending.plainText).toBe(textOf("lead-duplicate-pending", { phone: "+7 977 620-07-77" }));

    t.crm.setFault("none");
    const later = await t.telegram.waitForMessage(fridrich.id, (m) => SEES.deliveredLater.test(m.plainText ?? ""), WAIT);
    expect(leadNumber(later)).toBe(t.crm.created[0]?.id);
    expect(t.crm.created).toHaveLength(1);
  });
});

describe("deep-link source", () => {
  it("records /start spring_promo as the lead's source", async () => {
    t = await startTestApp();
    await upToPhone(fridrich, "/start spring_promo");
    expect((await say(fridrich, "89776200777")).plainText).toMatch(SEES.created);
    const [lead] = await t.app.store.leads.listByState(["delivered"], 10);
    expect(lead?.source).toBe("spring_promo");
  });

  it("accepts a 64-character payload and records invalid ones as direct", async () => {
    t = await startTestApp();
    const longest = `a${"_-9Z".repeat(15)}xyz`;
    expect(longest).toHaveLength(64);
    const cases: Array<[FakeUser, string, string, string]> = [
      [fridrich, `/start ${longest}`, "89776200777", longest],
      [anna, `/start ${longest}b`, "89161234567", "direct"],
      [{ id: 7203, first_name: "Ольга", language_code: "ru" }, "/start <script>", "89031234567", "direct"],
      [{ id: 7204, first_name: "Пётр", language_code: "ru" }, "/start промо", "89261234567", "direct"],
    ];
    for (const [user, start, phone] of cases) {
      await upToPhone(user, start);
      expect((await say(user, phone)).plainText).toMatch(SEES.created);
    }
    const leads = await t.app.store.leads.listByState(["delivered"], 10);
    expect(leads.map((lead) => [lead.chatId, lead.source])).toEqual(cases.map(([user, , , source]) => [user.id, source]));
  });
});

/**
 * A customer learns nothing about a lead that is not theirs: only the Telegram account that handed a
 * lead in hears that it exists and its number. Anyone else who gives that phone is thanked neutrally,
 * and that answer costs a lead of their daily cap, so that phones cannot be probed in bulk.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf, textOf } from "../harness/locale.js";
import { startTestApp, type TestApp, type TestAppOptions } from "../harness/test-app.js";

const owner: FakeUser = { id: 5201, first_name: "Фридрих", language_code: "ru" };
const stranger: FakeUser = { id: 5202, first_name: "Евдокия", language_code: "ru" };
const agent: FakeUser = { id: 5203, first_name: "Оператор", language_code: "ru" };
const PHONE = "+7 977 620-07-77";
const NEUTRAL = textOf("lead-received-neutral", { phone: PHONE });
const WAIT = 15_000;

let t: TestApp;
afterEach(async () => t?.close());

async function start(options: TestAppOptions = {}) {
  t = await startTestApp({ ...options, env: { AGENT_IDS: String(agent.id), ...options.env } });
}
const next = (user: FakeUser) => t.telegram.nextMessage(user.id, WAIT);
async function say(user: FakeUser, text: string): Promise<SentMessage> {
  t.telegram.sendText(user, text);
  return next(user);
}
/** /start, the name, then `phone`: the answer to the phone. */
async function apply(user: FakeUser, phone: string): Promise<SentMessage> {
  await say(user, "/start");
  await next(user);
  await say(user, user.first_name);
  return say(user, phone);
}
const leadNumber = () => String(t.crm.created[0]?.id);

describe("a phone someone else handed in", () => {
  it("is answered neutrally, without its number, and counts against the daily cap; its owner still sees the number", async () => {
    await start({ env: { LEADS_PER_USER_PER_DAY: "2" } });
    expect((await apply(owner, "89776200777")).plainText).toMatch(patternOf("lead-created"));

    for (let i = 0; i < 2; i++) {
      const answer = await apply(stranger, "8 977 620 07 77");
      expect(answer.plainText).toBe(NEUTRAL);
      expect(answer.plainText).not.toContain(leadNumber());
      expect(answer.reply_markup).toEqual({ remove_keyboard: true });
    }
    // Two answers are the cap of two: the third try is turned away before any question.
    expect((await say(stranger, "/start")).plainText).toBe(textOf("lead-limit-reached"));
    // The cap is kept in the database, as the leads are: a restart hands out no more answers.
    await t.restart();
    expect((await say(stranger, "/start")).plainText).toBe(textOf("lead-limit-reached"));

    // The account that handed the lead in is told it is there, with its number, and is not counted.
    const own = await apply(owner, PHONE);
    expect(own.plainText).toBe(textOf("lead-duplicate", { phone: PHONE, number: leadNumber() }));
    expect(t.crm.received).toHaveLength(1);
  });

  it("while it is still being registered: no promise of a number, and none is sent later", async () => {
    await start();
    t.crm.setFault("http503");
    expect((await apply(owner, "89776200777")).plainText).toMatch(patternOf("lead-queued"));
    expect((await apply(stranger, PHONE)).plainText).toBe(NEUTRAL);
    // The owner hears it is on its way.
    expect((await apply(owner, PHONE)).plainText).toBe(textOf("lead-duplicate-pending", { phone: PHONE }));

    t.crm.setFault("none");
    await t.telegram.waitForMessage(owner.id, (m) => patternOf("lead-delivered-later").test(m.plainText ?? ""), WAIT);
    expect(t.crm.created).toHaveLength(1);
    // Everything the stranger ever saw: the questions and the neutral thanks; no lead number anywhere.
    const seen = t.telegram.sent(stranger.id).map((m) => m.plainText ?? "");
    expect(seen.at(-1)).toBe(NEUTRAL);
    expect(seen.join("\n")).not.toContain(leadNumber());
  });

  it("shared as one's own contact is a new contact like any other when an agent handed it in", async () => {
    await start();
    // The agent hands in the person's number; the agent sees the lead number (staff).
    const handedIn = await say(agent, `Фридрих ${PHONE}`);
    expect(handedIn.plainText).toContain(`№ ${leadNumber()}`);
    // The person shares their own contact: no "already registered" before a question, and no number after.
    t.telegram.sendContact(owner, { phone_number: "+79776200777", first_name: owner.first_name, user_id: owner.id });
    expect((await next(owner)).plainText).toBe(textOf("name-ask", { suggested: "yes" }));
    expect((await say(owner, owner.first_name)).plainText).toBe(NEUTRAL);
    // The agent handing the same number in again sees the duplicate with its number, as before.
    expect((await say(agent, `Фридрих ${PHONE}`)).plainText).toContain(`№ ${leadNumber()}`);
    expect(t.crm.received).toHaveLength(1);
  });
});

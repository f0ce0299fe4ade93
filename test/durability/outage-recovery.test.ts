/**
 * Brainysoft answers 503 for a while, then recovers: every lead handed in meanwhile reaches it
 * exactly once, and each person receives the number of their own lead.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { leadNumber, numbersSentTo, SEES } from "./helpers.js";

const WAIT = 20_000;
const CUSTOMERS = 10;
const SLOW_MS = 300;

let t: TestApp;
afterEach(async () => t?.close());

const customers: Array<{ user: FakeUser; phone: string }> = Array.from({ length: CUSTOMERS }, (_, i) => ({
  user: { id: 7301 + i, first_name: ["Анна", "Борис", "Вера", "Глеб", "Дина"][i % 5]!, language_code: "ru" },
  phone: `7977620070${i}`,
}));

/** The whole dialogue of one customer: /start, name, phone typed as they would. Returns the answer to the phone. */
async function applyFor(user: FakeUser, phone: string): Promise<SentMessage> {
  const next = () => t.telegram.nextMessage(user.id, WAIT);
  t.telegram.sendText(user, "/start");
  expect((await next()).plainText).toMatch(SEES.greeting);
  expect((await next()).plainText).toMatch(SEES.nameQuestion);
  t.telegram.sendText(user, user.first_name);
  expect((await next()).plainText).toMatch(SEES.phoneQuestion);
  t.telegram.sendText(user, `8 ${phone.slice(1, 4)} ${phone.slice(4, 7)}-${phone.slice(7, 9)}-${phone.slice(9)}`);
  return next();
}

describe("a Brainysoft outage", () => {
  it("delivers every lead from the outage exactly once and tells each person their own number", async () => {
    t = await startTestApp({ env: { BRAINYSOFT_CONCURRENCY: "3" } });
    t.crm.setFault("http503");

    const answers = await Promise.all(customers.map(({ user, phone }) => applyFor(user, phone)));
    for (const answer of answers) {
      expect(answer.plainText).toMatch(SEES.queued);
      expect(leadNumber(answer)).toBeUndefined();
    }
    expect(await t.app.store.leads.countByState()).toMatchObject({ pending: CUSTOMERS, delivered: 0 });
    // The outage lasts through retries: every lead has been tried again at least once.
    await expect.poll(() => t.crm.received.length, { timeout: WAIT }).toBeGreaterThanOrEqual(CUSTOMERS * 2);
    expect(t.crm.created).toHaveLength(0);

    // Recovered, but each call takes a while: the backlog must not hit Brainysoft all at once.
    const recoveredAt = t.crm.received.length;
    t.crm.setFault("slow", { slowMs: SLOW_MS });
    const confirmations = await Promise.all(
      customers.map(({ user }) => t.telegram.waitForMessage(user.id, (m) => SEES.deliveredLater.test(m.plainText ?? ""), WAIT)),
    );

    const idByPhone = new Map<string, number[]>();
    for (const lead of t.crm.created) {
      const phone = String(lead.body.mobilePhone);
      idByPhone.set(phone, [...(idByPhone.get(phone) ?? []), lead.id!]);
    }
    expect([...idByPhone.keys()].sort()).toEqual(customers.map((c) => c.phone).sort());
    customers.forEach(({ user, phone }, i) => {
      // One lead per phone at the mock CRM, and that lead's number in this person's chat.
      expect(idByPhone.get(phone)).toHaveLength(1);
      expect(leadNumber(confirmations[i]!)).toBe(idByPhone.get(phone)![0]);
      expect(confirmations[i]!.plainText).toContain(`+7 977 620-07-0${i}`);
      expect(numbersSentTo(t.telegram, user.id)).toEqual(idByPhone.get(phone));
    });
    await expect
      .poll(() => t.app.store.leads.listByState(["delivered"], 100), { timeout: WAIT })
      .toSatisfy((leads: Array<{ notified: boolean }>) => leads.length === CUSTOMERS && leads.every((l) => l.notified));
    expect(t.crm.created).toHaveLength(CUSTOMERS);

    // A call received at `at` is open at least until at + SLOW_MS, so this undercounts, never overcounts.
    const starts = t.crm.received.slice(recoveredAt).map((call) => call.at);
    const mostAtOnce = Math.max(...starts.map((at) => starts.filter((other) => other <= at && at < other + SLOW_MS).length));
    expect(mostAtOnce).toBeLessThanOrEqual(3);
  });
});

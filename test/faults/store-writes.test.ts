/**
 * Issue 12: the store refusing writes (a full disk) at each step of a lead's life, end to end: the real
 * bot over the fake Telegram and the mock Brainysoft, on a real SQLite file wrapped by a decorator that
 * makes chosen writes fail with SQLITE_FULL. Whatever fails, one person's lead reaches Brainysoft once
 * (or not at all, when it was never stored and the person was told to try again), and the person gets
 * an answer. No test sleeps: each waits until the failing write has been refused a few times, which is
 * when the old code had sent the lead again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { numbersSentTo } from "../durability/helpers.js";
import { createStoreFaults, type FaultyWrite, type StoreFaults } from "../harness/faulty-store.js";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { patternOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { countSent, customer, phoneOf, upToPhone, WAIT } from "../runtime/helpers.js";

const ADMIN = 900;
let t: TestApp;
let faults: StoreFaults;
afterEach(async () => t?.close());

async function start(): Promise<TestApp> {
  faults = createStoreFaults();
  t = await startTestApp({
    wrapStore: faults.wrap,
    env: { ADMIN_IDS: String(ADMIN) },
    outbox: { writeRetryBaseMs: 100, writeRetryMaxMs: 300 },
    storeWrites: { settleMs: 300, probeBaseMs: 100, probeMaxMs: 300 },
  });
  return t;
}

/** Until the failing write has been refused `times` times: time the old code spent re-sending. */
async function refusedAtLeast(write: FaultyWrite, times = 4): Promise<void> {
  await expect.poll(() => faults.refused[write] ?? 0, { timeout: WAIT }).toBeGreaterThanOrEqual(times);
}

async function readyz(): Promise<{ status: number; body: { ready: boolean; store: { ok: boolean; error?: string } } }> {
  const address = t.app.httpAddress();
  if (!address) throw new Error("the HTTP server is not listening");
  const response = await fetch(`http://127.0.0.1:${address.port}/readyz`);
  return { status: response.status, body: (await response.json()) as { ready: boolean; store: { ok: boolean; error?: string } } };
}

const stored = async (phone: string) => t.app.store.leads.findRecent(phone, 0);
const sees = (user: FakeUser, key: string) => countSent(t.telegram, user.id, patternOf(key));

/** The bot's messages to a person since the phone, as locale keys are matched. */
async function answerTo(user: FakeUser, phone: string, key: string): Promise<void> {
  t.telegram.sendText(user, phone);
  await t.telegram.waitForMessage(user.id, (m) => patternOf(key).test(m.plainText ?? ""), WAIT);
}

describe("issue 12.1 and 12.8: a full disk while Brainysoft creates a lead", () => {
  it("issue 12.1: the lead Brainysoft created is sent once and the person gets its number; issue 12.8: /readyz is 503 and admins are told once", async () => {
    await start();
    const anna = customer(7001);
    await upToPhone(t.telegram, anna);
    t.crm.setFault("slow", { slowMs: 500 });
    t.telegram.sendText(anna, phoneOf(1));
    // The disk fills while Brainysoft is creating the lead: the bot cannot write down what it answered.
    await expect.poll(() => t.crm.received.length, { timeout: WAIT }).toBe(1);
    faults.fail();
    const answer = await t.telegram.waitForMessage(anna.id, (m) => patternOf("lead-created").test(m.plainText ?? ""), WAIT);
    expect(answer.plainText).toContain(`№ ${t.crm.created[0]?.id}`);

    await refusedAtLeast("leads.markDelivered");
    expect(t.crm.received).toHaveLength(1);
    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(notReady.body.store).toMatchObject({ ok: false, error: expect.stringMatching(/SQLITE_FULL/) });
    await t.telegram.waitForMessage(ADMIN, (m) => patternOf("alert-store-failing").test(m.plainText ?? ""), WAIT);

    faults.heal();
    await expect.poll(async () => (await stored(phoneOf(1)))?.state, { timeout: WAIT }).toBe("delivered");
    await t.telegram.waitForMessage(ADMIN, (m) => patternOf("alert-store-recovered").test(m.plainText ?? ""), WAIT);
    expect((await readyz()).status).toBe(200);
    expect(await stored(phoneOf(1))).toMatchObject({ brainysoftId: t.crm.created[0]?.id, notified: true });
    expect(t.crm.received).toHaveLength(1);
    expect(numbersSentTo(t.telegram, anna.id)).toEqual([t.crm.created[0]?.id]);
    expect(countSent(t.telegram, ADMIN, patternOf("alert-store-failing"))).toBe(1);
    expect(sees(anna, "error-generic")).toBe(0);
  }, 60_000);
});

describe("issue 12 fault injection: one write refused at each step of a lead's life", () => {
  it("insert: nothing reaches Brainysoft, the person is told to try again, and their next try makes one lead", async () => {
    await start();
    const boris = customer(7002, "Борис");
    await upToPhone(t.telegram, boris);
    faults.fail("leads.insertUnlessDuplicate");
    await answerTo(boris, phoneOf(2), "error-generic");
    expect(t.crm.received).toHaveLength(0);
    await t.telegram.waitForMessage(ADMIN, (m) => patternOf("alert-store-failing").test(m.plainText ?? ""), WAIT);

    faults.heal();
    await upToPhone(t.telegram, boris);
    await answerTo(boris, phoneOf(2), "lead-created");
    expect(t.crm.created).toHaveLength(1);
    expect(numbersSentTo(t.telegram, boris.id)).toEqual([t.crm.created[0]?.id]);
  }, 60_000);

  it("markDelivered: the number is told at once, the lead is not sent again, and the result is stored once writes work", async () => {
    await start();
    const vera = customer(7003, "Вера");
    await upToPhone(t.telegram, vera);
    faults.fail("leads.markDelivered");
    await answerTo(vera, phoneOf(3), "lead-created");
    await refusedAtLeast("leads.markDelivered");
    expect(t.crm.received).toHaveLength(1);

    faults.heal();
    await expect.poll(async () => (await stored(phoneOf(3)))?.state, { timeout: WAIT }).toBe("delivered");
    expect(t.crm.received).toHaveLength(1);
    expect(numbersSentTo(t.telegram, vera.id)).toEqual([t.crm.created[0]?.id]);
  }, 60_000);

  it("markRetry: a lead Brainysoft could not take is retried with backoff, not once a second, and delivered once", async () => {
    await start();
    const gleb = customer(7004, "Глеб");
    await upToPhone(t.telegram, gleb);
    t.crm.setFault("http503");
    faults.fail("leads.markRetry");
    await answerTo(gleb, phoneOf(4), "lead-queued");
    await refusedAtLeast("leads.markRetry");
    // The old code sent it at every sweep while its retry time could not be written.
    expect(t.crm.received).toHaveLength(1);

    faults.heal();
    t.crm.setFault("none");
    await t.telegram.waitForMessage(gleb.id, (m) => patternOf("lead-delivered-later").test(m.plainText ?? ""), WAIT);
    expect(t.crm.created).toHaveLength(1);
    expect(numbersSentTo(t.telegram, gleb.id)).toEqual([t.crm.created[0]?.id]);
  }, 60_000);

  it("markFinal: a lead Brainysoft refused is not sent again, and the person is told once", async () => {
    await start();
    const dana = customer(7005, "Дана");
    await upToPhone(t.telegram, dana);
    t.crm.setFault("reject400");
    faults.fail("leads.markFinal");
    await answerTo(dana, phoneOf(5), "lead-rejected");
    await refusedAtLeast("leads.markFinal");
    expect(t.crm.received).toHaveLength(1);
    const lead = await stored(phoneOf(5));

    faults.heal();
    await expect.poll(async () => (await t.app.store.leads.get(lead?.id ?? 0))?.state, { timeout: WAIT }).toBe("rejected");
    expect(t.crm.received).toHaveLength(1);
    expect(sees(dana, "lead-rejected")).toBe(1);
  }, 60_000);

  it("markNotified: the person is told once, and the mark is written once writes work (so a restart does not tell it again)", async () => {
    await start();
    const egor = customer(7006, "Егор");
    await upToPhone(t.telegram, egor);
    faults.fail("leads.markNotified");
    await answerTo(egor, phoneOf(6), "lead-created");
    await refusedAtLeast("leads.markNotified", 2);

    faults.heal();
    await expect.poll(async () => (await stored(phoneOf(6)))?.notified, { timeout: WAIT }).toBe(true);
    expect(t.crm.received).toHaveLength(1);
    expect(numbersSentTo(t.telegram, egor.id)).toEqual([t.crm.created[0]?.id]);
  }, 60_000);

  it("update dedup mark: the person gets the number and no apology for an error after it", async () => {
    await start();
    const zoya = customer(7007, "Зоя");
    faults.fail("updates.markHandled");
    await upToPhone(t.telegram, zoya);
    await answerTo(zoya, phoneOf(7), "lead-created");
    // Each step of the conversation remembered its update with its state: no mark of its own was written.
    expect(t.logText()).not.toMatch(/could not remember a handled update/);
    // An update outside a conversation is marked by itself, and its failure is only logged.
    t.telegram.sendText(zoya, "/help");
    await t.telegram.waitForMessage(zoya.id, (m) => /\/cancel/.test(m.plainText ?? ""), WAIT);
    await expect.poll(() => /could not remember a handled update/.test(t.logText()), { timeout: WAIT }).toBe(true);
    faults.heal();
    expect(sees(zoya, "error-generic")).toBe(0);
    expect(t.crm.received).toHaveLength(1);
    expect(numbersSentTo(t.telegram, zoya.id)).toEqual([t.crm.created[0]?.id]);
  }, 60_000);

  it("conversation state write: the person is answered, and once writes work one lead is made", async () => {
    await start();
    const inna = customer(7008, "Инна");
    t.telegram.sendText(inna, "/start");
    // The /start's conversation state is written after its question is sent: the fault waits for that.
    await expect.poll(() => /"command":"\/start".*"msg":"update"/.test(t.logText()), { timeout: WAIT }).toBe(true);
    faults.fail("conversations.write");
    t.telegram.sendText(inna, inna.first_name);
    await t.telegram.waitForMessage(inna.id, (m) => patternOf("error-generic").test(m.plainText ?? ""), WAIT);
    expect(t.crm.received).toHaveLength(0);

    faults.heal();
    await upToPhone(t.telegram, inna);
    await answerTo(inna, phoneOf(8), "lead-created");
    expect(t.crm.received).toHaveLength(1);
    expect(numbersSentTo(t.telegram, inna.id)).toEqual([t.crm.created[0]?.id]);
  }, 60_000);

  it("journal event: the lead goes through once; issue 12.8: admins are told once, not at each failed write", async () => {
    await start();
    const kira = customer(7009, "Кира");
    await upToPhone(t.telegram, kira);
    faults.fail("events.record");
    await answerTo(kira, phoneOf(9), "lead-created");
    await t.telegram.waitForMessage(ADMIN, (m) => patternOf("alert-store-failing").test(m.plainText ?? ""), WAIT);
    // Every other write works meanwhile; the journal's keep failing, and the alert is not repeated for each.
    const lena = customer(7010, "Лена");
    await upToPhone(t.telegram, lena);
    await answerTo(lena, phoneOf(10), "lead-created");
    expect(countSent(t.telegram, ADMIN, patternOf("alert-store-failing"))).toBe(1);

    faults.heal();
    await t.telegram.waitForMessage(ADMIN, (m) => patternOf("alert-store-recovered").test(m.plainText ?? ""), WAIT);
    expect((await readyz()).status).toBe(200);
    expect(t.crm.created).toHaveLength(2);
    expect(numbersSentTo(t.telegram, kira.id)).toEqual([t.crm.created[0]?.id]);
  }, 60_000);
});

/**
 * A graceful stop (a deploy) and a start on the same data directory, in the middle of a conversation
 * and in the middle of a delivery: the conversation goes on where it was, and the lead is delivered.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import type { Store } from "../../src/store/types.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { leadNumber, numbersSentTo, SEES } from "./helpers.js";

const fridrich: FakeUser = { id: 7101, first_name: "Фридрих", language_code: "ru" };
const WAIT = 15_000;

let t: TestApp;
afterEach(async () => t?.close());

async function say(user: FakeUser, text: string): Promise<SentMessage> {
  t.telegram.sendText(user, text);
  return t.telegram.nextMessage(user.id, WAIT);
}

async function upToPhone(user: FakeUser): Promise<void> {
  expect((await say(user, "/start")).plainText).toMatch(SEES.greeting);
  expect((await t.telegram.nextMessage(user.id, WAIT)).plainText).toMatch(SEES.nameQuestion);
  expect((await say(user, user.first_name)).plainText).toMatch(SEES.phoneQuestion);
}

const waitFor = (user: FakeUser, pattern: RegExp) => t.telegram.waitForMessage(user.id, (m) => pattern.test(m.plainText ?? ""), WAIT);

/**
 * Counts the outbox's looks, at each start, for final outcomes nobody was told (its `unnotified` reads),
 * once each has been answered: a start is then known to have decided what to tell. Pass `wrap` as
 * startTestApp's `wrapStore`.
 */
function watchUntoldLooks() {
  let looks = 0;
  return {
    looks: () => looks,
    wrap: (store: Store): Store => ({
      ...store,
      leads: {
        ...store.leads,
        unnotified: async (query) => {
          const found = await store.leads.unnotified(query);
          looks++;
          return found;
        },
      },
    }),
  };
}

describe("a graceful restart on the same data directory", () => {
  it("continues the conversation at the phone question after a stop following the name", async () => {
    t = await startTestApp();
    await upToPhone(fridrich);
    const before = t.app;
    await t.restart();
    expect(t.app).not.toBe(before);

    const done = await say(fridrich, "+7 977 620-07-77");
    expect(done.plainText).toMatch(SEES.created);
    expect(done.plainText).toContain("+7 977 620-07-77");
    // The name came from before the restart: only the stored conversation knew it.
    expect(t.crm.created.map((lead) => lead.body)).toEqual([{ firstName: "Фридрих", mobilePhone: "79776200777" }]);
    expect(leadNumber(done)).toBe(t.crm.created[0]?.id);
  });

  it("delivers a lead that was waiting for a retry when the bot stopped", async () => {
    t = await startTestApp();
    t.crm.setFault("http503");
    await upToPhone(fridrich);
    expect((await say(fridrich, "89776200777")).plainText).toMatch(SEES.queued);
    await t.restart();
    t.crm.setFault("none");

    const later = await waitFor(fridrich, SEES.deliveredLater);
    expect(t.crm.created).toHaveLength(1);
    expect(leadNumber(later)).toBe(t.crm.created[0]?.id);
    // Marked as told once the message is out, so that a restart now would not send it again.
    await expect
      .poll(() => t.app.store.leads.listByState(["delivered"], 10), { timeout: WAIT })
      .toEqual([expect.objectContaining({ phone: "79776200777", brainysoftId: t.crm.created[0]?.id, notified: true })]);
  });

  it("sends the lead number after a restart when the message with it failed before", async () => {
    const untold = watchUntoldLooks();
    t = await startTestApp({ wrapStore: untold.wrap });
    t.crm.setFault("http503");
    await upToPhone(fridrich);
    expect((await say(fridrich, "89776200777")).plainText).toMatch(SEES.queued);
    // The next message, the one with the number, is refused by Telegram.
    t.telegram.failNext("sendMessage", { code: 400, description: "Bad Request: chat not found" });
    t.crm.setFault("none");
    await expect.poll(() => t.logText(), { timeout: WAIT }).toContain("could not tell the outcome");
    expect(await t.app.store.leads.listByState(["delivered"], 10)).toEqual([expect.objectContaining({ notified: false })]);
    expect(numbersSentTo(t.telegram, fridrich.id)).toEqual([]);

    await t.restart();
    const later = await waitFor(fridrich, SEES.deliveredLater);
    expect(leadNumber(later)).toBe(t.crm.created[0]?.id);
    await expect
      .poll(() => t.app.store.leads.listByState(["delivered"], 10), { timeout: WAIT })
      .toEqual([expect.objectContaining({ notified: true })]);
    // Told once: another restart sends nothing more, and Brainysoft created the lead once.
    const looks = untold.looks();
    await t.restart();
    // Nothing to wait out: once the new process has looked for outcomes nobody was told, its stop waits
    // for whatever that look tells (and for any delivery under way), so the chat is complete after it.
    await expect.poll(() => untold.looks(), { timeout: WAIT }).toBe(looks + 1);
    await t.app.stop();
    expect(numbersSentTo(t.telegram, fridrich.id)).toEqual([t.crm.created[0]!.id]);
    expect(t.crm.created).toHaveLength(1);
  });

  it("finishes the attempt in flight before stopping, and the new process delivers the lead once", async () => {
    t = await startTestApp();
    await upToPhone(fridrich);
    t.crm.setFault("hang");
    t.telegram.sendText(fridrich, "89776200777");
    await expect.poll(() => t.crm.received.length, { timeout: WAIT }).toBe(1);
    // The stop waits for the hanging call to run out of time (BRAINYSOFT_TIMEOUT_MS) and records it.
    const restarted = t.restart();
    t.crm.setFault("none");
    await restarted;

    const later = await waitFor(fridrich, SEES.deliveredLater);
    expect(t.crm.created).toHaveLength(1);
    expect(leadNumber(later)).toBe(t.crm.created[0]?.id);
    // Told "saved" by the old process (its answer was due), the number by the new one.
    expect(t.telegram.sent(fridrich.id).some((m) => SEES.queued.test(m.plainText ?? ""))).toBe(true);
    expect(numbersSentTo(t.telegram, fridrich.id)).toEqual([t.crm.created[0]!.id]);
    expect(t.crm.received).toHaveLength(2);
  });
});

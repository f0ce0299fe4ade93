/**
 * UPDATE_CONCURRENCY: chats beyond it wait their turn in the order they came, a chat's updates share
 * one place, and a customer waiting for Brainysoft holds none. First the bookkeeping alone, then the
 * real bot with one place, where every wait shows in what people see.
 */
import type { Update } from "grammy/types";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiCall } from "../../src/fakes/fake-telegram.js";
import { ASIDE_AFTER_MS, createWorkPlaces } from "../../src/runtime/work-places.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { customer, phoneOf, SEES, upToPhone, WAIT } from "./helpers.js";

let nextUpdateId = 1;
function messageFrom(chatId: number): Update {
  const chat = { id: chatId, type: "private" as const, first_name: "Анна" };
  return {
    update_id: nextUpdateId++,
    message: { message_id: 1, date: 0, chat, from: { id: chatId, is_bot: false, first_name: "Анна" }, text: "hi" },
  };
}
const chatless = (): Update => ({
  update_id: nextUpdateId++,
  inline_query: { id: "q", from: { id: 5, is_bot: false, first_name: "Анна" }, query: "", offset: "" },
});

/** Enters each update and records the order in which they are let in. */
function entering(places: ReturnType<typeof createWorkPlaces>, updates: Update[], letIn: number[]): void {
  for (const update of updates) void Promise.resolve(places.enter(update)).then(() => letIn.push(update.update_id));
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("createWorkPlaces", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("lets in as many chats as it has places, then the others in the order they came", async () => {
    const places = createWorkPlaces(2);
    const [a, b, c, d] = [1, 2, 3, 4].map(messageFrom) as [Update, Update, Update, Update];
    const letIn: number[] = [];
    entering(places, [a, b, c, d], letIn);
    await settle();
    expect(letIn).toEqual([a.update_id, b.update_id]);
    expect(places.waiting()).toBe(2);
    places.leave(b);
    await settle();
    expect(letIn).toEqual([a.update_id, b.update_id, c.update_id]);
    places.leave(a);
    await settle();
    expect(letIn).toEqual([a.update_id, b.update_id, c.update_id, d.update_id]);
  });

  it("lets a chat's updates in one at a time, in order, each at the end of the line once its turn comes", async () => {
    const places = createWorkPlaces(2);
    const [first, second, third] = [10, 10, 10].map(messageFrom) as [Update, Update, Update];
    const [other, another] = [11, 12].map(messageFrom) as [Update, Update];
    const letIn: number[] = [];
    // An agent's stack of three cards, then two customers: the stack takes one place, not both.
    entering(places, [first, second, third, other, another], letIn);
    await settle();
    expect(letIn).toEqual([first.update_id, other.update_id]);
    places.leave(first);
    await settle();
    expect(letIn).toEqual([first.update_id, other.update_id, another.update_id]);
    places.leave(other);
    await settle();
    expect(letIn.at(-1)).toBe(second.update_id);
    places.leave(second);
    places.leave(another);
    await settle();
    expect(letIn.at(-1)).toBe(third.update_id);
  });

  it("gives a chatless update a place of its own", async () => {
    const places = createWorkPlaces(1);
    const [one, two] = [chatless(), chatless()];
    const letIn: number[] = [];
    entering(places, [one, two], letIn);
    await settle();
    expect(letIn).toEqual([one.update_id]);
    places.leave(one);
    await settle();
    expect(letIn).toEqual([one.update_id, two.update_id]);
  });

  it("aside: a quick answer keeps the place", async () => {
    const places = createWorkPlaces(1);
    const [a, b] = [31, 32].map(messageFrom) as [Update, Update];
    const letIn: number[] = [];
    entering(places, [a, b], letIn);
    await expect(places.aside(async () => "lead 1001")).resolves.toBe("lead 1001");
    await settle();
    expect(letIn).toEqual([a.update_id]);
  });

  it("aside: a slow answer lets the place go to the next in line, and takes it back before anyone who has not started", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const places = createWorkPlaces(1);
    const [a, b, c] = [21, 22, 23].map(messageFrom) as [Update, Update, Update];
    const letIn: number[] = [];
    entering(places, [a, b], letIn);
    await settle();
    let answer: (value: string) => void = () => undefined;
    const back = places.aside(() => new Promise<string>((resolve) => (answer = resolve)));
    vi.advanceTimersByTime(ASIDE_AFTER_MS - 1);
    await settle();
    expect(letIn).toEqual([a.update_id]);
    vi.advanceTimersByTime(1);
    await settle();
    expect(letIn).toEqual([a.update_id, b.update_id]);
    entering(places, [c], letIn);
    answer("lead 1001");
    await settle();
    places.leave(b);
    await expect(back).resolves.toBe("lead 1001");
    await settle();
    expect(letIn).toEqual([a.update_id, b.update_id]);
    places.leave(a);
    await settle();
    expect(letIn).toEqual([a.update_id, b.update_id, c.update_id]);
  });
});

describe("work places in the running bot", () => {
  let t: TestApp;
  afterEach(async () => t?.close());
  const anna = customer(8101);
  const boris = customer(8102, "Борис");
  const greetingOf = (chatId: number) => t.telegram.waitForMessage(chatId, (m) => SEES.greeting.test(m.plainText ?? ""), WAIT);
  const refusedOnce = { code: 429, description: "Too Many Requests: retry after 1", retry_after: 1 };

  /** Where a chat's first delivered message is among all the bot's calls: which chat was answered first. */
  const answeredIn = (chatId: number) => (call: ApiCall) => call.method === "sendMessage" && !call.error && call.body.chat_id === chatId;
  const firstAnswerTo = (chatId: number) => t.telegram.calls.findIndex(answeredIn(chatId));

  async function waitingForPlace(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${t.app.httpAddress()?.port}/metrics`)).text();
    return Number(/^leadbot_updates_waiting_for_place (\d+)$/m.exec(text)?.[1]);
  }

  /**
   * Anna's greeting is refused once, for a second, and Boris sends /start while her update waits it out:
   * who of them was greeted first.
   */
  async function greetedFirst(): Promise<string> {
    t.telegram.failNext("sendMessage", refusedOnce);
    t.telegram.sendText(anna, "/start");
    await vi.waitFor(() => expect(t.telegram.calls.map((call) => call.method)).toContain("sendMessage"), { timeout: WAIT });
    t.telegram.sendText(boris, "/start");
    await Promise.all([greetingOf(anna.id), greetingOf(boris.id)]);
    return firstAnswerTo(anna.id) < firstAnswerTo(boris.id) ? anna.first_name : boris.first_name;
  }

  it("with one place, a second customer's /start waits until the first one's update is done, and /metrics shows it", async () => {
    t = await startTestApp({ env: { UPDATE_CONCURRENCY: "1", METRICS: "true" } });
    const waitingSeen = vi.waitFor(async () => expect(await waitingForPlace()).toBe(1), { timeout: WAIT, interval: 20 });
    expect(await greetedFirst()).toBe(anna.first_name);
    await waitingSeen;
    expect(await waitingForPlace()).toBe(0);
  });

  it("with the default 64 places, the same second customer is greeted while the first one waits", async () => {
    t = await startTestApp();
    expect(t.config.updateConcurrency).toBe(64);
    expect(await greetedFirst()).toBe(boris.first_name);
  });

  it("a customer waiting for a slow Brainysoft holds no place: another one is greeted meanwhile", async () => {
    t = await startTestApp({ env: { UPDATE_CONCURRENCY: "1" } });
    await upToPhone(t.telegram, anna);
    t.crm.setFault("slow", { slowMs: 1_500, times: 1 });
    t.telegram.sendContact(anna, { phone_number: `+${phoneOf(1)}`, first_name: anna.first_name, user_id: anna.id });
    // Her lead has reached Brainysoft, which answers in 1.5 s.
    await vi.waitFor(() => expect(t.crm.received).toHaveLength(1), { timeout: WAIT });
    t.telegram.sendText(boris, "/start");
    await greetingOf(boris.id);
    await t.telegram.waitForMessage(anna.id, (m) => SEES.created.test(m.plainText ?? ""), WAIT);
    // Her lead's answer is the last message she got.
    expect(firstAnswerTo(boris.id)).toBeLessThan(t.telegram.calls.findLastIndex(answeredIn(anna.id)));
    expect(t.crm.created.map((lead) => lead.body.mobilePhone)).toEqual([phoneOf(1)]);
  });
});

/**
 * One chat's flood costs other chats nothing: an agent's 600 contact cards arrive at once while
 * Brainysoft is slow, and a customer who writes meanwhile is answered about as fast as on an idle bot.
 * The chat keeps at most CHAT_BACKLOG_LIMIT updates in flight; the rest is dropped with one notice per
 * episode (polling confirms them, the webhook answers them 200), and no dropped card becomes a lead.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_BACKLOG_LIMIT } from "../../src/runtime/chat-gate.js";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { customer, freePort, phoneOf, SEES, WAIT } from "./helpers.js";

const CARDS = 600;
const SECRET = "flood-Secret_7";
const agent: FakeUser = { id: 7101, first_name: "Оператор", language_code: "ru" };
const someone: FakeUser = { id: 9101, first_name: "Иван" };
const NOTICE = textOf("flood-dropped");
/** An agent's card waits this long for Brainysoft (3 s by default), well within Brainysoft's time limit. */
const AGENT_WAIT_MS = 1_500;
const FLOOD_ENV = { AGENT_IDS: String(agent.id), METRICS: "true", BRAINYSOFT_TIMEOUT_MS: "4000" };

let t: TestApp;
afterEach(async () => t?.close());

function card(index: number) {
  return { phone_number: `+${phoneOf(index)}`, first_name: "Иван", user_id: someone.id };
}

const noticesTo = (chatId: number) => t.telegram.sent(chatId).filter((m) => m.plainText === NOTICE).length;
const floodEpisodes = () => logLines().filter((line) => line.msg === "chat flood: dropping its updates beyond the limit").length;
const agentLeads = async () =>
  (await t.app.store.leads.listCreatedBetween(0, Date.now() + 60_000)).filter((l) => l.actor === "agent").length;

function logLines(): Record<string, unknown>[] {
  return t
    .logText()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function droppedMetric(): Promise<number> {
  const address = t.app.httpAddress();
  const text = await (await fetch(`http://127.0.0.1:${address?.port}/metrics`)).text();
  return Number(/^leadbot_updates_flood_dropped_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** The median greeting time of three customers on an idle bot, after one to warm it up. */
async function idleGreetingTime(firstId: number, send: (user: FakeUser) => unknown): Promise<number> {
  const users = [0, 1, 2, 3].map((i) => customer(firstId + i));
  const times: number[] = [];
  for (const user of users) times.push(await greetingTime(user, () => send(user)));
  return times.slice(1).sort((a, b) => a - b)[1] ?? Infinity;
}

/** How long a customer's /start takes to be greeted; `send` hands the update to the bot. */
async function greetingTime(user: FakeUser, send: () => unknown): Promise<number> {
  const started = performance.now();
  send();
  const greeting = await t.telegram.nextMessage(user.id, WAIT);
  expect(greeting.plainText).toMatch(SEES.greeting);
  return performance.now() - started;
}

/** What the agent ends up with: every card either became a lead or was dropped, and each episode was told once. */
async function expectFloodBounded(): Promise<void> {
  await expect.poll(async () => (await agentLeads()) + (await droppedMetric()), { timeout: 60_000 }).toBe(CARDS);
  const leads = await agentLeads();
  expect(leads).toBeGreaterThanOrEqual(CHAT_BACKLOG_LIMIT);
  expect(leads).toBeLessThan(CARDS);
  expect(floodEpisodes()).toBeGreaterThanOrEqual(1);
  expect(noticesTo(agent.id)).toBe(floodEpisodes());
}

describe("a flood from one chat", () => {
  it("polling: another customer is answered as fast as on an idle bot while an agent's 600 cards wait for a slow Brainysoft", async () => {
    // Brainysoft's time limit above the time an agent's card waits for it: the first card holds the chat that long.
    t = await startTestApp({ env: FLOOD_ENV, runtime: { agentAnswerWithinMs: AGENT_WAIT_MS } });
    t.crm.setFault("slow", { slowMs: 30_000 });
    const idle = await idleGreetingTime(7201, (user) => t.telegram.sendText(user, "/start"));

    for (let i = 0; i < CARDS; i++) t.telegram.sendContact(agent, card(i), { forwardFrom: someone });
    const flooded = await greetingTime(customer(7210), () => t.telegram.sendText(customer(7210), "/start"));

    console.info(`polling: idle answer ${idle.toFixed(0)} ms, during the flood ${flooded.toFixed(0)} ms (×${(flooded / idle).toFixed(1)})`);
    expect(flooded).toBeLessThan(2_000);
    await expectFloodBounded();
  }, 120_000);

  it("webhook: the same, with Telegram delivering each chat's updates in order and different chats at once", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/telegram/hook`;
    // The bot answers an update after 1 ms (not 5 s) while its handling goes on, so that the agent's chat
    // piles up within the time its first card waits for Brainysoft.
    t = await startTestApp({
      env: { ...FLOOD_ENV, BOT_MODE: "webhook", PORT: String(port), WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET },
      runtime: { webhookAnswerWithinMs: 1, agentAnswerWithinMs: AGENT_WAIT_MS },
    });
    t.crm.setFault("slow", { slowMs: 30_000 });
    const telegram = webhookDeliverer(url);
    const idle = await idleGreetingTime(7301, (user) => telegram.deliver(textUpdate(user, "/start")));

    // Telegram sends a chat's next update once the previous one was answered.
    const flood = (async () => {
      for (let i = 0; i < CARDS; i++) expect(await telegram.deliver(cardUpdate(i))).toBe(200);
    })();
    await expect.poll(() => noticesTo(agent.id), { timeout: WAIT }).toBe(1);
    const flooded = await greetingTime(customer(7310), () => telegram.deliver(textUpdate(customer(7310), "/start")));
    await flood;

    console.info(`webhook: idle answer ${idle.toFixed(0)} ms, during the flood ${flooded.toFixed(0)} ms (×${(flooded / idle).toFixed(1)})`);
    expect(flooded).toBeLessThan(2_000);
    await expectFloodBounded();
  }, 120_000);
});

/** Posts updates to the bot's webhook as Telegram does, with the secret; resolves with the HTTP status. */
function webhookDeliverer(url: string) {
  return {
    async deliver(update: Record<string, unknown>): Promise<number> {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
      });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

let nextUpdateId = 5_000_000;
let nextMessageId = 1;

function message(user: FakeUser, content: Record<string, unknown>): Record<string, unknown> {
  return {
    message_id: nextMessageId++,
    date: Math.floor(Date.now() / 1000),
    from: { id: user.id, is_bot: false, first_name: user.first_name, language_code: user.language_code },
    chat: { id: user.id, type: "private", first_name: user.first_name },
    ...content,
  };
}

function textUpdate(user: FakeUser, text: string): Record<string, unknown> {
  const entities = text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: text.length }] : undefined;
  return { update_id: nextUpdateId++, message: message(user, { text, entities }) };
}

function cardUpdate(index: number): Record<string, unknown> {
  const forwarded = {
    forward_origin: {
      type: "user",
      date: Math.floor(Date.now() / 1000) - 60,
      sender_user: { id: someone.id, is_bot: false, first_name: someone.first_name },
    },
  };
  return { update_id: nextUpdateId++, message: message(agent, { ...forwarded, contact: card(index) }) };
}

/**
 * BOT_MODE=webhook end to end: the fake Bot API server POSTs updates to the bot's HTTP server with the
 * secret from setWebhook, and re-sends them when not answered 2xx in time, as Telegram does.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeTelegramOptions } from "../../src/fakes/fake-telegram.js";
import { createStoreFaults } from "../harness/faulty-store.js";
import { patternOf } from "../harness/locale.js";
import { startTestApp, type TestApp, type TestAppOptions } from "../harness/test-app.js";
import { customer, freePort, phoneOf, SEES, upToPhone, WAIT } from "./helpers.js";

const SECRET = "webhook-Secret_42";
const anna = customer(6101);
const boris = customer(6102, "Борис");

let t: TestApp;
afterEach(async () => t?.close());

async function startWebhookApp(
  telegram?: FakeTelegramOptions,
  more: Omit<TestAppOptions, "env" | "telegram"> = {},
): Promise<{ url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/telegram/hook`;
  t = await startTestApp({
    env: { BOT_MODE: "webhook", PORT: String(port), WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET },
    ...(telegram ? { telegram } : {}),
    ...more,
  });
  return { url };
}

function logLines(app: TestApp): Record<string, unknown>[] {
  return app
    .logText()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function textUpdate(updateId: number, user: { id: number; first_name: string }, text: string): Record<string, unknown> {
  return {
    update_id: updateId,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      from: { id: user.id, is_bot: false, first_name: user.first_name, language_code: "ru" },
      chat: { id: user.id, type: "private", first_name: user.first_name },
      text,
      entities: text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: text.length }] : undefined,
    },
  };
}

describe("webhook mode", () => {
  it("registers the webhook with the secret and completes a lead over it", async () => {
    const { url } = await startWebhookApp();
    const setWebhook = t.telegram.calls.find((c) => c.method === "setWebhook");
    expect(setWebhook?.body).toMatchObject({ url, secret_token: SECRET });
    expect(JSON.parse(JSON.stringify(setWebhook?.body.allowed_updates))).toEqual(["message", "callback_query"]);
    // A webhook bot neither polls nor removes its own webhook.
    expect(t.telegram.calls.filter((c) => c.method === "deleteWebhook" || c.method === "getUpdates")).toEqual([]);

    const [greeting, nameQuestion, phoneQuestion] = await upToPhone(t.telegram, anna);
    expect(greeting?.plainText).toMatch(SEES.greeting);
    expect(nameQuestion?.plainText).toMatch(SEES.nameQuestion);
    expect(phoneQuestion?.plainText).toMatch(SEES.phoneQuestion);
    t.telegram.sendText(anna, phoneOf(1));
    const done = await t.telegram.nextMessage(anna.id, WAIT);
    expect(done.plainText).toMatch(SEES.created);
    expect(done.plainText).toContain(`№ ${t.crm.created[0]?.id}`);
    expect(t.crm.created.map((l) => l.body)).toEqual([{ firstName: "Анна", mobilePhone: phoneOf(1) }]);
    // Each update is answered once handled: the last answer may still be on its way.
    await expect.poll(() => t.telegram.deliveries.every((d) => d.status === 200), { timeout: WAIT }).toBe(true);
    expect(t.telegram.deliveries.length).toBeGreaterThanOrEqual(3);
  });

  it("refuses requests without the right secret with 401 and handles nothing from them", async () => {
    const { url } = await startWebhookApp();
    const forged = JSON.stringify(textUpdate(900_001, anna, "/start"));
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: forged });

    expect((await post({ "x-telegram-bot-api-secret-token": "wrong-secret" })).status).toBe(401);
    expect((await post({ "x-telegram-bot-api-secret-token": `${SECRET}x` })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    expect((await fetch(url)).status).toBe(405);

    // A real update after the forged ones is handled, and nothing was sent to the forged chat.
    t.telegram.sendText(boris, "/help");
    expect((await t.telegram.nextMessage(boris.id, WAIT)).plainText).toMatch(SEES.help);
    expect(t.telegram.sent(anna.id)).toEqual([]);
    // The forged update id was never even recorded as seen.
    expect(await t.app.store.updates.markHandled(900_001, Date.now())).toBe(true);
  });

  it("answers 400 to a body that is not an update and 413 to one over 1 MiB, and handles neither", async () => {
    const { url } = await startWebhookApp();
    const post = (body: string) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET }, body });
    expect((await post("{not json")).status).toBe(400);
    expect((await post(JSON.stringify({ message: { text: "/start" } }))).status).toBe(400);
    expect((await post(JSON.stringify({ update_id: 1.5 }))).status).toBe(400);
    const huge = textUpdate(900_002, anna, `/start ${"x".repeat(1024 * 1024)}`);
    expect((await post(JSON.stringify(huge))).status).toBe(413);
    expect(await t.app.store.updates.markHandled(900_002, Date.now())).toBe(true);
    expect(t.telegram.sent(anna.id)).toEqual([]);
  });

  it("hands an update that fails after its answer went out to the bot's error handler, which apologises", async () => {
    const faults = createStoreFaults();
    // Answered at once, so the failure (saving the lead) comes after the answer.
    await startWebhookApp(undefined, { wrapStore: faults.wrap, runtime: { webhookAnswerWithinMs: 1 } });
    await upToPhone(t.telegram, boris);
    faults.fail("leads.insertUnlessDuplicate");
    const updateId = t.telegram.sendText(boris, phoneOf(4));
    await t.telegram.waitForMessage(boris.id, (m) => patternOf("error-generic").test(m.plainText ?? ""), WAIT);
    expect(t.crm.received).toEqual([]);
    expect(t.telegram.deliveries.find((d) => d.update_id === updateId)?.status).toBe(200);
    const logged = (msg: string) =>
      logLines(t)
        .filter((l) => l.msg === msg)
        .map((l) => l.update);
    expect(logged("webhook answered before the update was handled")).toContain(updateId);
    expect(logged("update handling failed")).toEqual([updateId]);

    faults.heal();
    t.telegram.sendText(anna, "/help");
    expect((await t.telegram.nextMessage(anna.id, WAIT)).plainText).toMatch(SEES.help);
  });

  it("takes a conversation step once when Telegram sends it again and its handled mark had failed", async () => {
    const faults = createStoreFaults();
    const { url } = await startWebhookApp(undefined, { wrapStore: faults.wrap });
    t.telegram.sendText(anna, "/start");
    await t.telegram.waitForMessage(
      anna.id,
      (m) => patternOf("name-ask", "ru", { vars: { suggested: "yes" } }).test(m.plainText ?? ""),
      WAIT,
    );
    // As a replica that dies after the conversation's write and before its own mark of the update.
    faults.fail("updates.markHandled");
    const post = () =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(textUpdate(900_003, anna, anna.first_name)),
      });
    expect((await post()).status).toBe(200);
    faults.heal();
    // The webhook answers once the update is handled: the repeat has been looked at when this returns.
    expect((await post()).status).toBe(200);
    // Taken again, the name would be a phone with letters in it.
    const asks = [patternOf("phone-ask"), patternOf("phone-refused", "ru", { vars: { reason: "letters" } })];
    const answers = t.telegram.sent(anna.id).filter((m) => asks.some((pattern) => pattern.test(m.plainText ?? "")));
    expect(answers.map((m) => asks.findIndex((pattern) => pattern.test(m.plainText ?? "")))).toEqual([0]);
  });

  it("handles an update Telegram re-sends (no answer in time) only once", async () => {
    // The fake gives up on an answer after 500 ms; the lead below takes 1.5 s at Brainysoft.
    await startWebhookApp({ webhookTimeoutMs: 500, webhookRetryDelayMs: 100 });
    await upToPhone(t.telegram, anna);
    t.crm.setFault("slow", { slowMs: 1_500, times: 1 });
    const updateId = t.telegram.sendText(anna, phoneOf(2));
    const done = await t.telegram.nextMessage(anna.id, WAIT);
    expect(done.plainText).toMatch(SEES.created);

    const attempts = t.telegram.deliveries.filter((d) => d.update_id === updateId);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0]?.error).toBe("Read timeout expired");
    await expect.poll(() => t.telegram.deliveries.filter((d) => d.update_id === updateId).at(-1)?.status, { timeout: WAIT }).toBe(200);
    expect(
      logLines(t)
        .filter((l) => l.msg === "repeated update ignored")
        .map((l) => l.update),
    ).toContain(updateId);
    expect(t.crm.received).toHaveLength(1);
    expect(t.telegram.sent(anna.id).filter((m) => SEES.created.test(m.plainText ?? ""))).toHaveLength(1);
  });

  it("finishes the update in progress on stop, refuses new ones, and the next instance gets those", async () => {
    await startWebhookApp({ webhookMaxAttempts: 200, webhookRetryDelayMs: 100 });
    await upToPhone(t.telegram, anna);
    t.crm.setFault("slow", { slowMs: 1_500, times: 1 });
    t.telegram.sendText(anna, phoneOf(3));
    await expect.poll(() => t.crm.received.length, { timeout: WAIT }).toBe(1);

    const stopped = t.app.stop();
    const helpUpdate = t.telegram.sendText(boris, "/help");
    await stopped;
    // The lead in progress was finished and confirmed before the process let go.
    expect(t.telegram.sent(anna.id).filter((m) => SEES.created.test(m.plainText ?? ""))).toHaveLength(1);
    expect(t.telegram.sent(boris.id)).toEqual([]);

    await t.restart();
    expect((await t.telegram.nextMessage(boris.id, WAIT)).plainText).toMatch(SEES.help);
    const attemptsOf = () => t.telegram.deliveries.filter((d) => d.update_id === helpUpdate);
    await expect.poll(() => attemptsOf().at(-1)?.status, { timeout: WAIT }).toBe(200);
    const attempts = attemptsOf();
    expect(attempts.slice(0, -1).every((d) => d.status !== 200)).toBe(true);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
  });
});

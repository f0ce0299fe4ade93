import { afterAll, describe, expect, it } from "vitest";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { startTestApp, TEST_BOT_TOKEN, TEST_CRM_TOKEN, type TestApp } from "../harness/test-app.js";
import { ADMIN_ENV, admin, agent, customerLead, plain, say, secondAdmin, WAIT } from "./helpers.js";
import { patternOf } from "../harness/locale.js";

const fridrich: FakeUser = { id: 8001, first_name: "Фридрих", language_code: "ru" };
const angelina: FakeUser = { id: 8002, first_name: "Ангелина", language_code: "ru" };
const vsevolod: FakeUser = { id: 8003, first_name: "Всеволод", language_code: "ru" };
const stranger: FakeUser = { id: 8004, first_name: "Евдокия", language_code: "ru" };
const NAMES = ["Фридрих", "Ангелина", "Всеволод", "Евдокия", "Евлампий", "Скороходов"];
/** Every phone the session hands in or types, as digits. */
const PHONES = ["79776200777", "79161234567", "79031112233", "79265550011", "79857776655"];

let t: TestApp;
afterAll(async () => t?.close());

/** Matches the number's national digits however they are written: "9776200777", "977 620-07-77", "977) 620 07 77". */
const anyWriting = (digits: string) => new RegExp(digits.slice(1).split("").join("[^0-9*]{0,3}"));

/**
 * One whole session: customers (a shared contact, a deep link, a typed number), an agent's contact,
 * an outage with its alerts, Telegram refusing and dropping messages, every admin command. Then the
 * captured log is searched for anything it must never hold.
 */
async function session(): Promise<void> {
  t = await startTestApp({ env: ADMIN_ENV });
  await say(t, fridrich, "/start");
  await t.telegram.nextMessage(fridrich.id, WAIT);
  await say(t, fridrich, "Фридрих");
  t.telegram.sendContact(fridrich, { phone_number: "+79776200777", first_name: "Фридрих", user_id: fridrich.id });
  expect(plain(await t.telegram.nextMessage(fridrich.id, WAIT))).toMatch(patternOf("lead-created", "ru", { whole: true }));
  expect(plain(await customerLead(t, angelina, "8 (916) 123-45-67", "spring_promo"))).toMatch(
    patternOf("lead-created", "ru", { whole: true }),
  );
  expect(plain(await say(t, agent, "Евлампий Скороходов +7 903 111-22-33"))).toMatch(
    patternOf("agent-created", "ru", { whole: true, vars: { name: "Евлампий Скороходов" } }),
  );

  // Outage: the lead waits, admins are alerted; at the recovery Telegram refuses all three messages
  // (two admin alerts, the customer's delayed confirmation with the phone in it).
  t.crm.setFault("http503");
  expect(plain(await customerLead(t, vsevolod, "+7 926 555-00-11"))).toMatch(patternOf("lead-queued", "ru", { whole: true }));
  for (const who of [admin, secondAdmin])
    expect(plain(await t.telegram.nextMessage(who.id, WAIT))).toMatch(patternOf("alert-crm-down", "ru", { whole: true }));
  t.telegram.failNext("sendMessage", { code: 400, description: "Bad Request: chat not found" }, 3);
  t.crm.setFault("none");
  await t.crm.waitForCreated(4, WAIT);
  await expect.poll(() => t.telegram.calls.filter((c) => c.method === "sendMessage" && c.error).length, { timeout: WAIT }).toBe(3);

  // Dropped connections while answering someone who typed their number outside the conversation (three:
  // a single drop is retried; the error message quotes the URL, which holds the bot token).
  t.telegram.failNext("sendMessage", "network", 3);
  t.telegram.sendText(stranger, "мой номер 8 985 777 66 55, перезвоните");
  await t.telegram.nextMessage(stranger.id, WAIT);
  // Commands the bot does not have: what follows the slash is whatever the person typed.
  for (const typed of ["/+79776200777", "/Фридрих_Карлович", "/start@other_bot Евлампий"]) {
    t.telegram.sendText(stranger, typed);
    await t.telegram.nextMessage(stranger.id, WAIT);
  }

  // Each command and the number of messages it answers with (/stats: the figures and the chart).
  const commands: Array<[string, number]> = [
    ["/logs 50", 1],
    ["/logs errors", 1],
    ["/stats", 2],
    ["/pending", 1],
    ["/retry all", 1],
    ["/export 7 full", 1],
  ];
  for (const [command, answers] of commands) {
    t.telegram.sendText(admin, command);
    for (let i = 0; i < answers; i++) await t.telegram.nextMessage(admin.id, WAIT);
  }
  expect(t.telegram.sent(admin.id).at(-1)?.method).toBe("sendDocument");
  // The update's log line is written once its handling has finished, just after the document went.
  await expect.poll(() => t.logText().includes('"did":"export'), { timeout: WAIT }).toBe(true);
}

describe("the log of a whole session", () => {
  it("holds no phone number, no token and no full name", async () => {
    await session();
    const log = t.logText();
    expect(log.length).toBeGreaterThan(5_000);
    for (const digits of PHONES) expect(log).not.toMatch(anyWriting(digits));
    expect(log).not.toContain(TEST_BOT_TOKEN.split(":")[1]);
    expect(log).not.toContain(TEST_CRM_TOKEN);
    for (const name of NAMES) expect(log).not.toContain(name);
    // The journal has the errors too, as admins read them.
    const errors = plain(t.telegram.sent(admin.id).find((m) => plain(m).startsWith("📜 Events (errors)"))!);
    expect(errors).toContain("🐞 bot error");
    expect(errors).toContain("HttpError: Network request for 'sendMessage' failed!");
    expect(errors).toContain("⚠️ Brainysoft error");
    // The full phones did reach the admin, in the export: the test would see them if the log had them.
    const csv = t.telegram
      .sent(admin.id)
      .find((m) => m.method === "sendDocument")!
      .document!.content!.toString("utf8");
    expect(csv).toContain("+7 977 620-07-77");
  }, 60_000);

  it("says per update what it was, for whom, how it went and how long it took", () => {
    const lines = t
      .logText()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const updates = lines.filter((l) => l.msg === "update");
    expect(updates.length).toBe(20);
    for (const line of updates) {
      expect(line).toMatchObject({
        update: expect.any(Number),
        role: expect.stringMatching(/^(admin|agent|customer)$/),
        ms: expect.any(Number),
      });
    }
    expect(updates).toContainEqual(
      expect.objectContaining({ chat: admin.id, role: "admin", command: "/stats", did: "stats", outcome: "handled" }),
    );
    expect(updates).toContainEqual(
      expect.objectContaining({ chat: admin.id, command: "/export", did: expect.stringMatching(/^export 7d full \d+$/) }),
    );
    expect(updates).toContainEqual(expect.objectContaining({ chat: stranger.id, role: "customer", outcome: "error" }));
    // Only the bot's own command names; anything else after a slash is masked.
    const commands = updates.map((line) => line.command).filter((command) => command !== undefined);
    expect(new Set(commands)).toEqual(new Set(["/start", "/stats", "/logs", "/pending", "/retry", "/export", "unknown command"]));
    expect(updates.filter((line) => line.chat === stranger.id).map((line) => line.command)).toEqual([
      undefined,
      "unknown command",
      "unknown command",
      "/start",
    ]);
    const calls = lines.filter((l) => l.msg === "brainysoft call");
    expect(calls).toContainEqual(
      expect.objectContaining({ op: "createLead", outcome: "transient", status: 503, latencyMs: expect.any(Number), attempt: 1 }),
    );
    expect(calls).toContainEqual(expect.objectContaining({ op: "createLead", outcome: "created", status: 200 }));
    // grammY's error carries the request payload (the confirmation text with the phone): only its description is logged.
    const undelivered = lines.find((l) => l.msg === "could not tell the outcome of a delayed lead");
    expect(undelivered?.err).toMatchObject({ type: "GrammyError", description: "Bad Request: chat not found" });
    expect(undelivered?.err).not.toHaveProperty("payload");
  });
});

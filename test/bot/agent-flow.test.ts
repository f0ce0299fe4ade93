import { afterEach, describe, expect, it, vi } from "vitest";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf, textOf, valueIn } from "../harness/locale.js";
import { startTestApp, type TestApp, type TestAppOptions } from "../harness/test-app.js";

const admin: FakeUser = { id: 7000, first_name: "Админ", language_code: "ru" };
const agent: FakeUser = { id: 7001, first_name: "Оператор", language_code: "ru" };
const customer: FakeUser = { id: 7002, first_name: "Клиент", language_code: "ru" };
const newcomer: FakeUser = { id: 7003, first_name: "Новенькая", language_code: "ru" };
const englishAgent: FakeUser = { id: 7004, first_name: "Operator", language_code: "en" };
/** Someone whose card an agent forwards from another chat. */
const someone: FakeUser = { id: 9100, first_name: "Иван", last_name: "Петров" };

const ROLES = { AGENT_IDS: `${agent.id},${englishAgent.id}`, ADMIN_IDS: String(admin.id) };
const WAIT = 10_000;

let t: TestApp;
afterEach(async () => {
  await t?.close();
  vi.useRealTimers();
});

async function start(options: TestAppOptions = {}) {
  t = await startTestApp({ ...options, env: { ...ROLES, ...options.env } });
  return t;
}

const next = (user: FakeUser) => t.telegram.nextMessage(user.id, WAIT);
async function say(user: FakeUser, text: string): Promise<SentMessage> {
  t.telegram.sendText(user, text);
  return next(user);
}
/** Lines of the answers, as the agent sees them. */
const plain = (m: SentMessage) => m.plainText ?? "";
const storedLeads = () => t.app.store.leads.listCreatedBetween(0, Date.now() + 60_000);
/** How long an agent's contact waits for a Brainysoft that hangs, in the tests that make it hang. */
const AGENT_WAIT_MS = 1_500;
/** The phone as the bot writes it back, for the tests' usual number 79776200777. */
const PHONE = "+7 977 620-07-77";
/** The number of the lead the mock CRM created last (or `index`-th), as the messages write it. */
const leadNumber = (index = -1) => String(t.crm.created.at(index)?.id);
/** An agent's line about a contact it refused: the label it read, and why (agent-refusal's variables). */
const refusedLine = (label: string, why: Record<string, string>, locale = "ru") =>
  textOf("agent-refused", { label, why: textOf("agent-refusal", why, locale) }, locale);
/** The batch summary, zero where a count is not given. */
const summary = (counts: { total: number; created: number; duplicates?: number; queued?: number; refused?: number }, locale = "ru") =>
  textOf("agent-summary", { duplicates: 0, queued: 0, refused: 0, ...counts }, locale);
/** What someone who is not an agent hears, outside the customer conversation, for another person's card. */
const foreignContact = `${textOf("phone-foreign-contact")}\n\n${textOf("fallback-pointer")}`;
/** The list /agents shows an admin: the agents from the settings, and those added in the chat (none by default). */
const agentsList = (added = textOf("agents-none")) => textOf("agents-list", { configured: `${agent.id}, ${englishAgent.id}`, added });

describe("a call-center agent's contacts become leads", () => {
  it("a forwarded contact card: the lead number comes back, the CRM gets first and last name", async () => {
    // The batch's quiet time is a timer: faked, and moved on by the test instead of waited out. Only
    // setTimeout: HTTP, SQLite and the clocks stay real, and the fake timers also pass with real time.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true, shouldClearNativeTimers: true });
    await start();
    t.telegram.sendContact(
      agent,
      { phone_number: "+79776200777", first_name: "Иван", last_name: "Петров", user_id: someone.id },
      { forwardFrom: someone },
    );
    const answer = await next(agent);
    const [created] = t.crm.created;
    expect(plain(answer)).toBe(textOf("agent-created", { name: "Иван Петров", phone: PHONE, number: String(created?.id) }));
    expect(created?.body).toEqual({ firstName: "Иван", lastName: "Петров", mobilePhone: "79776200777" });
    const [lead] = await storedLeads();
    expect(lead).toMatchObject({
      actor: "agent",
      agentId: agent.id,
      source: `agent:${agent.id}`,
      chatId: agent.id,
      state: "delivered",
      brainysoftId: created?.id,
    });
    // A single card is its own batch: no summary follows it. A typed line is answered once the card's
    // handling has ended (one chat's updates are handled in order), so the batch's timer is set by then.
    const typed = async (line: string, name: string, phone: string) =>
      expect(plain(await say(agent, line))).toBe(textOf("agent-created", { name, phone, number: leadNumber() }));
    await typed("Анна 89161234567", "Анна", "+7 916 123-45-67");
    // Past the quiet time (1.5 s): a summary would be on its way before the next line is even sent, so
    // that line's answer must be the agent's next message, and the last.
    await vi.advanceTimersByTimeAsync(2_500);
    await typed("Пётр 89031234567", "Пётр", "+7 903 123-45-67");
    expect(t.telegram.unread(agent.id)).toEqual([]);
  });

  it("a card shared from the address book, without a user id, with a national number", async () => {
    await start();
    t.telegram.sendContact(agent, { phone_number: "8 (916) 123-45-67", first_name: "Анна" });
    expect(plain(await next(agent))).toBe(textOf("agent-created", { name: "Анна", phone: "+7 916 123-45-67", number: leadNumber() }));
    expect(t.crm.created.map((l) => l.body)).toEqual([{ firstName: "Анна", mobilePhone: "79161234567" }]);
  });

  it("a contact card that only carries a vCard", async () => {
    await start();
    const vcard = [
      "BEGIN:VCARD",
      "VERSION:3.0",
      "N:Сидорова;Мария;;;",
      "FN:Мария Сидорова",
      "TEL;TYPE=WORK:+7 495 123-45-67",
      "TEL;TYPE=CELL:8 903 123-45-67",
      "END:VCARD",
    ].join("\r\n");
    t.telegram.sendContact(agent, { phone_number: "", first_name: "", vcard });
    expect(plain(await next(agent))).toBe(
      textOf("agent-created", { name: "Мария Сидорова", phone: "+7 903 123-45-67", number: leadNumber() }),
    );
    expect(t.crm.created.map((l) => l.body)).toEqual([{ firstName: "Мария", lastName: "Сидорова", mobilePhone: "79031234567" }]);
  });

  it("text lines with a name and a phone in any order and format, answered line by line with a summary", async () => {
    await start();
    const answer = await say(
      agent,
      "Иван +7 977 620-07-77\n+7 (977) 620 07 77 Иван\n+7 (916) 123 45 67 Анна\n89031234567, Пётр\nпозвонить завтра",
    );
    const [first, second, third] = t.crm.created.map((l) => l.id);
    expect(plain(answer).split("\n")).toEqual([
      textOf("agent-created", { name: "Иван", phone: PHONE, number: String(first) }),
      textOf("agent-duplicate", { name: "Иван", phone: PHONE, number: String(first) }),
      textOf("agent-created", { name: "Анна", phone: "+7 916 123-45-67", number: String(second) }),
      textOf("agent-created", { name: "Пётр", phone: "+7 903 123-45-67", number: String(third) }),
      refusedLine("позвонить завтра", { kind: "no-phone" }),
      summary({ total: 5, created: 3, duplicates: 1, refused: 1 }),
    ]);
    expect(t.crm.created.map((l) => l.body)).toEqual([
      { firstName: "Иван", mobilePhone: "79776200777" },
      { firstName: "Анна", mobilePhone: "79161234567" },
      { firstName: "Пётр", mobilePhone: "79031234567" },
    ]);
  });

  it("a single typed line gets a single line back; names are escaped", async () => {
    await start();
    // The name goes into the message escaped, as the bot puts it there; the agent reads it as typed.
    expect(plain(await say(agent, "89776200777, <Вася> & Co"))).toBe(
      textOf("agent-created", { name: "&lt;Вася&gt; &amp; Co", phone: PHONE, number: leadNumber() }),
    );
    expect(t.crm.created[0]?.body).toEqual({ firstName: "<Вася> & Co", mobilePhone: "79776200777" });
  });

  it("a dozen forwarded cards: each answered in order, two duplicates and one invalid number, 9 leads, one summary", async () => {
    await start();
    const cards: { first_name: string; last_name?: string; phone_number: string }[] = [
      { first_name: "Иван", last_name: "Петров", phone_number: "+7 977 620-07-77" },
      { first_name: "Анна", phone_number: "8 916 123-45-67" },
      { first_name: "Пётр", last_name: "Сидоров", phone_number: "79031234567" },
      { first_name: "Мария", phone_number: "+7 (925) 111-22-33" },
      { first_name: "Олег", phone_number: "89261112233" },
      { first_name: "Иван", last_name: "Петров", phone_number: "8 977 620 07 77" },
      { first_name: "Елена", phone_number: "+79035556677" },
      { first_name: "Сергей", phone_number: "12345" },
      { first_name: "Ольга", phone_number: "+7 915 000-11-22" },
      { first_name: "Анна", phone_number: "+79161234567" },
      { first_name: "Дмитрий", phone_number: "+7 999 123-45-67" },
      { first_name: "Наталья", last_name: "Ким", phone_number: "8 (964) 765-43-21" },
    ];
    for (const card of cards) t.telegram.sendContact(agent, card, { forwardFrom: someone });

    const answers: SentMessage[] = [];
    for (let i = 0; i < cards.length; i++) answers.push(await next(agent));
    const names = answers.map(
      (a) =>
        valueIn("agent-created", "name", plain(a)) ??
        valueIn("agent-duplicate", "name", plain(a)) ??
        valueIn("agent-refused", "label", plain(a)),
    );
    expect(names).toEqual(
      cards.map((c) => (c.phone_number === "12345" ? "Сергей 12345" : [c.first_name, c.last_name].filter(Boolean).join(" "))),
    );
    const kinds = ["agent-created", "agent-duplicate", "agent-refused"];
    const kindOf = (a: SentMessage) => kinds.find((key) => patternOf(key, "ru", { whole: true }).test(plain(a)));
    const [ok, dup, refused] = kinds;
    expect(answers.map(kindOf)).toEqual([ok, ok, ok, ok, ok, dup, ok, refused, ok, dup, ok, ok]);
    expect(plain(answers[7]!)).toBe(refusedLine("Сергей 12345", { kind: "phone", reason: "too-short" }));
    // Each answer replies to the card it is about.
    const replyTo = answers.map((a) => (a.raw.reply_parameters as { message_id: number }).message_id);
    expect([...replyTo].sort((a, b) => a - b)).toEqual(replyTo);

    expect(plain(await next(agent))).toBe(summary({ total: 12, created: 9, duplicates: 2, refused: 1 }));
    expect(t.crm.created.map((l) => l.body)).toEqual([
      { firstName: "Иван", lastName: "Петров", mobilePhone: "79776200777" },
      { firstName: "Анна", mobilePhone: "79161234567" },
      { firstName: "Пётр", lastName: "Сидоров", mobilePhone: "79031234567" },
      { firstName: "Мария", mobilePhone: "79251112233" },
      { firstName: "Олег", mobilePhone: "79261112233" },
      { firstName: "Елена", mobilePhone: "79035556677" },
      { firstName: "Ольга", mobilePhone: "79150001122" },
      { firstName: "Дмитрий", mobilePhone: "79991234567" },
      { firstName: "Наталья", lastName: "Ким", mobilePhone: "79647654321" },
    ]);
    expect(t.crm.received).toHaveLength(9);
    expect(plain(answers[5]!)).toBe(textOf("agent-duplicate", { name: "Иван Петров", phone: PHONE, number: leadNumber(0) }));
    expect((await storedLeads()).every((l) => l.actor === "agent" && l.agentId === agent.id)).toBe(true);
    // Privacy: the log has masked phones and no names.
    expect(t.logText()).toContain("+7 977 ***-**-77");
    expect(t.logText()).not.toMatch(/9776200777|Петров|Наталья/);
  });

  it("refuses a card without a name or with a landline, saying why, and sends nothing to the CRM", async () => {
    await start();
    t.telegram.sendContact(agent, { phone_number: "+7 495 123-45-67", first_name: "Офис" });
    expect(plain(await next(agent))).toBe(refusedLine("Офис +7 495 123-45-67", { kind: "phone", reason: "not-mobile" }));
    t.telegram.sendContact(agent, { phone_number: "+79776200777", first_name: "🙂" });
    expect(plain(await next(agent))).toBe(refusedLine("🙂 +79776200777", { kind: "no-name" }));
    expect(plain(await next(agent))).toBe(summary({ total: 2, created: 0, refused: 2 }));
    expect(t.crm.received).toHaveLength(0);
  });

  it("queues a contact while Brainysoft is down and tells the agent the number when it is delivered", async () => {
    await start();
    t.crm.setFault("http503");
    t.telegram.sendContact(agent, { phone_number: "+79776200777", first_name: "Иван", last_name: "Петров" });
    expect(plain(await next(agent))).toBe(textOf("agent-queued", { name: "Иван Петров", phone: PHONE }));
    t.crm.setFault("none");
    const later = await next(agent);
    expect(plain(later)).toBe(textOf("agent-delivered-later", { name: "Иван Петров", phone: PHONE, number: leadNumber(0) }));
    expect(t.crm.created.map((l) => l.body)).toEqual([{ firstName: "Иван", lastName: "Петров", mobilePhone: "79776200777" }]);
  });

  it("does not hold a list for the whole time limit per line when Brainysoft hangs", async () => {
    // The time limit (2.5 s) is longer than an agent waits per line (1.5 s here, 3 s by default). Six lines
    // would take 15 s at the time limit and 9 s at 1.5 s each; once the first is queued, the rest are queued at once.
    await start({ env: { BRAINYSOFT_TIMEOUT_MS: "2500" }, runtime: { agentAnswerWithinMs: AGENT_WAIT_MS } });
    t.crm.setFault("hang");
    const started = Date.now();
    t.telegram.sendText(
      agent,
      "Иван +7 977 620-07-77\nАнна 89161234567\nОльга 9035556677\nОлег 89261112233\nЕлена +79647654321\nИван 8 977 620 07 77",
    );
    const answer = await t.telegram.nextMessage(agent.id, 20_000);
    expect(Date.now() - started).toBeLessThan(4 * AGENT_WAIT_MS);
    const lines = plain(answer).split("\n");
    const queued = patternOf("agent-queued", "ru", { whole: true });
    expect(lines.slice(0, 5).every((line) => queued.test(line))).toBe(true);
    // Still saved one after another: the repeated number is a duplicate of the first line.
    const duplicateOfIvan = (line = "") =>
      ["agent-duplicate", "agent-duplicate-pending"].some((key) =>
        patternOf(key, "ru", { whole: true, vars: { name: "Иван" } }).test(line),
      );
    expect(duplicateOfIvan(lines[5])).toBe(true);
    t.crm.setFault("none");
    // Each queued line is answered with its number once delivered (hanging attempts time out first).
    const later = await Promise.all([1, 2, 3, 4, 5].map(() => t.telegram.nextMessage(agent.id, 30_000)));
    const delivered = patternOf("agent-delivered-later", "ru", { whole: true });
    expect(later.map(plain).every((line) => delivered.test(line))).toBe(true);
    expect(t.crm.created).toHaveLength(5);
  }, 60_000);

  it("does not hold a batch of cards for the agent's wait each once one is queued", async () => {
    await start({ env: { BRAINYSOFT_TIMEOUT_MS: "2500" }, runtime: { agentAnswerWithinMs: AGENT_WAIT_MS } });
    t.crm.setFault("hang");
    const started = Date.now();
    const phones = ["+79776200777", "+79161234567", "+79035556677", "+79261112233", "+79647654321"];
    phones.forEach((phone_number, i) => {
      t.telegram.sendContact(agent, { phone_number, first_name: `Контакт${"АБВГД"[i]}` });
    });
    const answers = await Promise.all(phones.map(() => t.telegram.nextMessage(agent.id, 20_000)));
    // The wait for the first card, then none: well under the five waits that waiting per card would take.
    expect(Date.now() - started).toBeLessThan(3 * AGENT_WAIT_MS);
    const queued = patternOf("agent-queued", "ru", { whole: true });
    expect(answers.map(plain).every((line) => queued.test(line))).toBe(true);
  }, 60_000);

  it("counts a card whose answer could not be sent in the batch summary", async () => {
    await start();
    // The answer to the first card is refused by Telegram; the bot's error handler says so instead.
    t.telegram.failNext("sendMessage", { code: 400, description: "Bad Request: message to reply not found" });
    for (const [first_name, phone_number] of [
      ["Иван", "+79776200777"],
      ["Анна", "+79161234567"],
      ["Ольга", "+79035556677"],
    ] as const) {
      t.telegram.sendContact(agent, { first_name, phone_number }, { forwardFrom: someone });
    }
    const anySummary = patternOf("agent-summary", "ru", { whole: true });
    const batchSummary = await t.telegram.waitForMessage(agent.id, (m) => anySummary.test(plain(m)), WAIT);
    expect(plain(batchSummary)).toMatch(patternOf("agent-summary", "ru", { whole: true, vars: { total: "3", created: "3" } }));
    expect(t.crm.created).toHaveLength(3);
  });

  it("/help tells agents and admins what their role can do, customers what theirs can", async () => {
    await start();
    expect(plain(await say(agent, "/help"))).toBe(textOf("help-agent"));
    expect(plain(await say(englishAgent, "/help"))).toBe(textOf("help-agent", {}, "en"));
    const adminHelp = plain(await say(admin, "/help"));
    expect(adminHelp).toBe(textOf("help-admin"));
    expect(adminHelp).toContain("/retry");
    const customerHelp = plain(await say(customer, "/help"));
    expect(customerHelp).toBe(textOf("help"));
    expect(customerHelp).not.toContain("/retry");
  });

  it("answers an English-speaking agent in English", async () => {
    await start();
    const answer = await say(englishAgent, "John +44 7911 123456\nMary +7 977 620-07-77\nMary again 89776200777");
    expect(plain(answer).split("\n").at(-1)).toBe(summary({ total: 3, created: 2, duplicates: 1 }, "en"));
  });

  it("an admin can hand in contacts too", async () => {
    await start();
    t.telegram.sendContact(admin, { phone_number: "+79776200777", first_name: "Иван", user_id: someone.id }, { forwardFrom: someone });
    expect(plain(await next(admin))).toBe(textOf("agent-created", { name: "Иван", phone: PHONE, number: leadNumber() }));
    expect((await storedLeads())[0]).toMatchObject({ actor: "agent", agentId: admin.id, source: `agent:${admin.id}` });
  });

  it("an agent who typed /start can still try the customer flow; a forwarded card meanwhile stays an agent lead", async () => {
    await start();
    await say(agent, "/start");
    expect(plain(await next(agent))).toBe(textOf("name-ask", { suggested: "yes" }));
    t.telegram.sendContact(agent, { phone_number: "+79161234567", first_name: "Анна", user_id: someone.id }, { forwardFrom: someone });
    expect(plain(await next(agent))).toBe(textOf("agent-created", { name: "Анна", phone: "+7 916 123-45-67", number: leadNumber() }));
    expect(plain(await say(agent, "Оператор"))).toBe(textOf("phone-ask", { name: "Оператор" }));
    t.telegram.sendContact(agent, { phone_number: "+79776200777", first_name: "Оператор", user_id: agent.id });
    expect(plain(await next(agent))).toBe(textOf("lead-created", { number: leadNumber(), phone: PHONE }));
    const leads = await storedLeads();
    expect(leads.map((l) => [l.actor, l.firstName, l.phone])).toEqual([
      ["agent", "Анна", "79161234567"],
      ["customer", "Оператор", "79776200777"],
    ]);
  });

  it("an agent trying the customer flow is not held to the customers' daily cap", async () => {
    await start({ env: { LEADS_PER_USER_PER_DAY: "1" } });
    for (const phone of ["+7 977 620-07-77", "+7 916 123-45-67"]) {
      await say(agent, "/start");
      expect(plain(await next(agent))).toBe(textOf("name-ask", { suggested: "yes" }));
      expect(plain(await say(agent, "Оператор"))).toBe(textOf("phone-ask", { name: "Оператор" }));
      expect(plain(await say(agent, phone))).toBe(textOf("lead-created", { number: leadNumber(), phone }));
    }
    expect((await storedLeads()).map((l) => [l.actor, l.userId])).toEqual([
      ["customer", agent.id],
      ["customer", agent.id],
    ]);
  });
});

describe("who is an agent", () => {
  it("a non-agent's forwarded contact creates nothing, as in the customer conversation", async () => {
    await start();
    t.telegram.sendContact(customer, { phone_number: "+79776200777", first_name: "Иван", user_id: someone.id }, { forwardFrom: someone });
    expect(plain(await next(customer))).toBe(foreignContact);
    expect(plain(await say(customer, "Иван +7 977 620-07-77"))).toBe(textOf("fallback-pointer"));
    expect(t.crm.received).toHaveLength(0);
    expect(await storedLeads()).toEqual([]);
  });

  it("agent management commands do not exist for agents and customers, and they are told so", async () => {
    await start();
    const noSuchCommand = textOf("admin-no-such-command");
    expect(plain(await say(agent, `/agent_add ${newcomer.id}`))).toBe(noSuchCommand);
    expect(plain(await say(agent, `/agent_remove ${englishAgent.id}`))).toBe(noSuchCommand);
    expect(plain(await say(customer, "/agents"))).toBe(noSuchCommand);
    t.telegram.sendContact(newcomer, { phone_number: "+79776200777", first_name: "Иван", user_id: someone.id });
    expect(plain(await next(newcomer))).toBe(foreignContact);
    expect(t.crm.received).toHaveLength(0);
  });

  it("an admin adds and removes an agent: it applies at once and survives a restart", async () => {
    await start();
    expect(plain(await say(admin, "/agents"))).toBe(agentsList());
    expect(plain(await say(admin, `/agent_add ${newcomer.id}`))).toBe(textOf("agent-admin-added", { id: String(newcomer.id) }));
    expect(plain(await say(admin, `/agent_add ${newcomer.id}`))).toBe(textOf("agent-admin-already", { id: String(newcomer.id) }));

    t.telegram.sendContact(newcomer, { phone_number: "+79776200777", first_name: "Иван", user_id: someone.id });
    expect(plain(await next(newcomer))).toBe(textOf("agent-created", { name: "Иван", phone: PHONE, number: leadNumber() }));

    await t.restart();
    expect(plain(await say(admin, "/agents"))).toBe(agentsList(String(newcomer.id)));
    t.telegram.sendContact(newcomer, { phone_number: "+79161234567", first_name: "Анна", user_id: someone.id });
    expect(plain(await next(newcomer))).toBe(textOf("agent-created", { name: "Анна", phone: "+7 916 123-45-67", number: leadNumber() }));

    expect(plain(await say(admin, `/agent_remove ${newcomer.id}`))).toBe(textOf("agent-admin-removed", { id: String(newcomer.id) }));
    t.telegram.sendContact(newcomer, { phone_number: "+79031234567", first_name: "Пётр", user_id: someone.id });
    expect(plain(await next(newcomer))).toBe(foreignContact);

    await t.restart();
    t.telegram.sendContact(newcomer, { phone_number: "+79031234567", first_name: "Пётр", user_id: someone.id });
    expect(plain(await next(newcomer))).toBe(foreignContact);
    expect(plain(await say(admin, "/agents"))).toBe(agentsList());
    expect(t.crm.created.map((l) => l.body.firstName)).toEqual(["Иван", "Анна"]);
  });

  it("explains what cannot be changed from the chat, and how to call the commands", async () => {
    await start();
    expect(plain(await say(admin, `/agent_remove ${agent.id}`))).toBe(textOf("agent-admin-configured", { id: String(agent.id) }));
    expect(plain(await say(admin, `/agent_add ${admin.id}`))).toBe(textOf("agent-admin-is-admin", { id: String(admin.id) }));
    expect(plain(await say(admin, `/agent_remove ${newcomer.id}`))).toBe(textOf("agent-admin-not-agent", { id: String(newcomer.id) }));
    expect(plain(await say(admin, "/agent_add"))).toBe(textOf("agent-admin-usage", { command: "agent_add" }));
    expect(plain(await say(admin, "/agent_remove @someone"))).toBe(textOf("agent-admin-usage", { command: "agent_remove" }));
    expect(plain(await say(admin, "/agents"))).toBe(agentsList());
  });
});

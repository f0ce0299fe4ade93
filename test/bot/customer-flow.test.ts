import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf, textOf } from "../harness/locale.js";
import { startTestApp, TEST_CRM_TOKEN, type TestApp, type TestAppOptions } from "../harness/test-app.js";

const fridrich: FakeUser = { id: 5001, first_name: "Фридрих", language_code: "ru" };
const john: FakeUser = { id: 5002, first_name: "John", language_code: "en" };

let t: TestApp;
afterEach(async () => t?.close());

async function start(options?: TestAppOptions) {
  t = await startTestApp(options);
  return t;
}

/** Sends a text and returns the bot's next message in that chat. */
async function say(user: FakeUser, text: string): Promise<SentMessage> {
  t.telegram.sendText(user, text);
  return t.telegram.nextMessage(user.id);
}

const next = (user: FakeUser) => t.telegram.nextMessage(user.id);
const keyboardTexts = (m: SentMessage): string[] => (m.reply_markup?.keyboard ?? []).flat().map((b: { text: string }) => b.text);

/** The phone as the bot writes it back, for the test's usual number 79776200777. */
const PHONE = "+7 977 620-07-77";
/** The lead the mock CRM created last, as the messages about it name it. */
const lastLead = (phone = PHONE) => ({ number: String(t.crm.created.at(-1)?.id), phone });
/** A reply to an answer the current question cannot take: "not understood", then the question again. */
const notUnderstood = (question: string) => `${textOf("input-not-understood")} ${question}`;

/** /start, greeting, name question, answer the name: returns the phone question. */
async function upToPhone(user: FakeUser, name = user.first_name): Promise<SentMessage> {
  await say(user, "/start");
  await next(user);
  return say(user, name);
}

describe("a customer's lead, end to end", () => {
  it("creates the lead from a shared contact and confirms with the number", async () => {
    await start();
    const greeting = await say(fridrich, "/start");
    expect(greeting.plainText).toBe(textOf("start-greeting"));
    const nameQuestion = await next(fridrich);
    expect(nameQuestion.plainText).toBe(textOf("name-ask", { suggested: "yes" }));
    expect(keyboardTexts(nameQuestion)).toEqual(["Фридрих"]);

    const phoneQuestion = await say(fridrich, "Фридрих");
    expect(phoneQuestion.plainText).toBe(textOf("phone-ask", { name: "Фридрих" }));
    expect(phoneQuestion.reply_markup.keyboard[0][0]).toMatchObject({ request_contact: true });

    t.telegram.sendContact(fridrich, { phone_number: "79776200777", first_name: "Фридрих", user_id: fridrich.id });
    const done = await next(fridrich);
    const lead = t.crm.created[0];
    expect(lead?.id).toBeTypeOf("number");
    expect(done.plainText).toBe(textOf("lead-created", { number: String(lead?.id), phone: PHONE }));
    expect(done.plainText).toContain("+7 977 620-07-77");
    expect(done.reply_markup).toEqual({ remove_keyboard: true });
    expect(JSON.stringify(lead?.body)).toBe('{"firstName":"Фридрих","mobilePhone":"79776200777"}');
    expect(lead?.headers.bsauth).toBe(TEST_CRM_TOKEN);
    expect(t.crm.received).toHaveLength(1);
    expect(t.telegram.chatActions(fridrich.id)).toContain("typing");
  });

  it("shows 'typing' while Brainysoft is asked, without holding the lead up, and answers after it", async () => {
    await start();
    await upToPhone(fridrich);
    // The first "typing" is lost with its connection: the bot tries it again 300 ms later.
    t.telegram.failNext("sendChatAction", "network");
    t.telegram.sendContact(fridrich, { phone_number: "79776200777", first_name: "Фридрих", user_id: fridrich.id });
    const done = await next(fridrich);
    expect(done.plainText).toBe(textOf("lead-created", lastLead()));
    const typing = t.telegram.calls.filter((c) => c.method === "sendChatAction");
    expect(typing.map((c) => c.error?.code)).toEqual([0, undefined]);
    const shown = typing[1]?.at ?? Number.NaN;
    // Brainysoft had the lead before the retried "typing" reached Telegram; the answer came after it.
    expect(t.crm.received[0]?.at).toBeLessThan(shown);
    const answer = t.telegram.calls.findLast((c) => c.method === "sendMessage");
    expect(answer?.at).toBeGreaterThanOrEqual(shown);
  });

  it.each(["+7 (977) 620-07-77", "8 977 620 07 77", "9776200777"])("accepts a typed number %s", async (typed) => {
    await start();
    await upToPhone(fridrich);
    const done = await say(fridrich, typed);
    expect(done.plainText).toContain("+7 977 620-07-77");
    expect(t.crm.created.map((l) => l.body)).toEqual([{ firstName: "Фридрих", mobilePhone: "79776200777" }]);
  });

  it("refuses someone else's contact kindly, then takes the person's own", async () => {
    await start();
    await upToPhone(fridrich);
    t.telegram.sendContact(fridrich, { phone_number: "+79161234567", first_name: "Мама", user_id: 777 });
    expect((await next(fridrich)).plainText).toBe(textOf("phone-foreign-contact"));
    t.telegram.sendContact(fridrich, { phone_number: "+79161234567", first_name: "Мама" });
    expect((await next(fridrich)).plainText).toBe(textOf("phone-foreign-contact"));
    expect(t.crm.received).toHaveLength(0);
    t.telegram.sendContact(fridrich, { phone_number: "+79776200777", first_name: "Фридрих", user_id: fridrich.id });
    expect((await next(fridrich)).plainText).toBe(textOf("lead-created", lastLead()));
  });

  it("says what is wrong with a name or a number", async () => {
    await start();
    await say(fridrich, "/start");
    await next(fridrich);
    // A blank name may be refused as empty or as letterless, and a number one digit too long as too long or
    // as no number at all: either of the two fits, and nothing else.
    const nameRefusal = (reason: string) => textOf("name-refused", { reason });
    expect([nameRefusal("empty"), nameRefusal("no-letters")]).toContain((await say(fridrich, "   ")).plainText);
    expect((await say(fridrich, "https://spam.example")).plainText).toBe(textOf("name-refused", { reason: "link" }));
    expect((await say(fridrich, "+7 977 620 07 77")).plainText).toBe(textOf("name-refused", { reason: "phone" }));
    await say(fridrich, "Фридрих");
    expect((await say(fridrich, "8 800 555 35 35")).plainText).toBe(textOf("phone-refused", { reason: "not-mobile" }));
    expect((await say(fridrich, "12345")).plainText).toBe(textOf("phone-refused", { reason: "too-short" }));
    expect((await say(fridrich, "позвоните мне")).plainText).toBe(textOf("phone-refused", { reason: "letters" }));
    const phoneRefusal = (reason: string) => textOf("phone-refused", { reason });
    expect([phoneRefusal("invalid"), phoneRefusal("too-long")]).toContain((await say(fridrich, "797762007777")).plainText);
    expect(t.crm.received).toHaveLength(0);
  });

  it("refuses numbers from countries outside ALLOWED_COUNTRIES with the reason", async () => {
    await start({ env: { ALLOWED_COUNTRIES: "RU" } });
    await upToPhone(fridrich);
    expect((await say(fridrich, "+380 50 123 4567")).plainText).toBe(
      textOf("phone-refused", { reason: "country-not-allowed", country: "UA" }),
    );
  });

  it("asks for the name again on NO_CLIENT_FIRST_NAME_ERROR, keeping the phone", async () => {
    await start();
    t.crm.setFieldError("firstName", 1);
    await upToPhone(fridrich);
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("name-ask-again"));
    const done = await say(fridrich, "Фридрих Карлович");
    expect(done.plainText).toBe(textOf("lead-created", lastLead()));
    expect(t.crm.received.map((r) => r.body)).toEqual([
      { firstName: "Фридрих", mobilePhone: "79776200777" },
      { firstName: "Фридрих Карлович", mobilePhone: "79776200777" },
    ]);
  });

  it("asks for the phone again on NO_MOBILE_PHONE_ERROR, keeping the name", async () => {
    await start();
    t.crm.setFieldError("mobilePhone", 1);
    await upToPhone(fridrich);
    const again = await say(fridrich, "89776200777");
    expect(again.plainText).toBe(textOf("phone-ask-again"));
    expect(again.reply_markup.keyboard[0][0]).toMatchObject({ request_contact: true });
    expect((await say(fridrich, "+7 916 123-45-67")).plainText).toBe(textOf("lead-created", lastLead("+7 916 123-45-67")));
    expect(t.crm.received.map((r) => r.body)).toEqual([
      { firstName: "Фридрих", mobilePhone: "79776200777" },
      { firstName: "Фридрих", mobilePhone: "79161234567" },
    ]);
  });

  it("answers an outage kindly, keeps the lead, and sends the number when Brainysoft is back", async () => {
    await start();
    t.crm.setFault("http503");
    await upToPhone(fridrich);
    const queued = await say(fridrich, "89776200777");
    expect(queued.plainText).toBe(textOf("lead-queued"));
    expect(queued.plainText).not.toMatch(/ошиб(ка|лись)/i);
    t.crm.setFault("none");
    const later = await t.telegram.nextMessage(fridrich.id, 10_000);
    expect(later.plainText).toBe(textOf("lead-delivered-later", { number: String(t.crm.created[0]?.id), phone: PHONE }));
    expect(t.crm.created).toHaveLength(1);
  });

  it("apologises without blaming the person when Brainysoft rejects the lead", async () => {
    await start();
    t.crm.setFault("reject400");
    await upToPhone(fridrich);
    const answer = await say(fridrich, "89776200777");
    expect(answer.plainText).toBe(textOf("lead-rejected", { phone: PHONE }));
    expect(answer.reply_markup).toEqual({ remove_keyboard: true });
  });

  it("re-asks the current question for stickers, photos, voice and other commands", async () => {
    await start();
    await say(fridrich, "/start");
    await next(fridrich);
    t.telegram.sendSticker(fridrich);
    expect((await next(fridrich)).plainText).toBe(notUnderstood(textOf("name-ask", { suggested: "yes" })));
    expect((await say(fridrich, "/whatever")).plainText).toBe(textOf("name-refused", { reason: "command" }));
    await say(fridrich, "Фридрих");
    const phoneQuestion = textOf("phone-ask", { name: "Фридрих" });
    t.telegram.sendPhoto(fridrich);
    expect((await next(fridrich)).plainText).toBe(notUnderstood(phoneQuestion));
    t.telegram.sendVoice(fridrich);
    expect((await next(fridrich)).plainText).toBe(notUnderstood(phoneQuestion));
    expect((await say(fridrich, "/foo")).plainText).toBe(notUnderstood(phoneQuestion));
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("lead-created", lastLead()));
  });

  it("/help explains and the conversation goes on; /cancel ends it; /start starts over", async () => {
    await start();
    await upToPhone(fridrich);
    expect((await say(fridrich, "/help")).plainText).toBe(textOf("help"));
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("lead-created", lastLead()));

    await upToPhone(fridrich, "Анна");
    const cancelled = await say(fridrich, "/cancel");
    expect(cancelled.plainText).toBe(textOf("cancel-done"));
    expect(cancelled.reply_markup).toEqual({ remove_keyboard: true });
    expect((await say(fridrich, "89161234567")).plainText).toBe(textOf("fallback-pointer"));
    expect((await say(fridrich, "/cancel")).plainText).toBe(textOf("cancel-nothing"));

    await upToPhone(fridrich, "Анна");
    expect((await say(fridrich, "/start")).plainText).toBe(textOf("start-greeting"));
    expect((await next(fridrich)).plainText).toBe(textOf("name-ask", { suggested: "yes" }));
    expect(t.crm.received).toHaveLength(1);
  });

  it("outside a conversation points to /start; an own contact starts with the phone known", async () => {
    await start();
    expect((await say(fridrich, "здравствуйте, мне нужен займ")).plainText).toBe(textOf("fallback-pointer"));
    t.telegram.sendContact(fridrich, { phone_number: "+79776200777", first_name: "Фридрих", user_id: fridrich.id });
    expect((await next(fridrich)).plainText).toBe(textOf("name-ask", { suggested: "yes" }));
    expect((await say(fridrich, "Фридрих")).plainText).toBe(textOf("lead-created", lastLead()));
    expect(t.crm.created[0]?.body).toEqual({ firstName: "Фридрих", mobilePhone: "79776200777" });
  });

  it("answers a second tap on the contact button with the lead already made, without asking again", async () => {
    await start();
    await upToPhone(fridrich);
    const own = { phone_number: "+79776200777", first_name: "Фридрих", user_id: fridrich.id };
    t.telegram.sendContact(fridrich, own);
    const done = await next(fridrich);
    t.telegram.sendContact(fridrich, own);
    const again = await next(fridrich);
    const lead = { number: String(t.crm.created[0]?.id), phone: PHONE };
    expect(again.plainText).toBe(textOf("lead-duplicate", lead));
    expect(done.plainText).toBe(textOf("lead-created", lead));
    expect(t.crm.received).toHaveLength(1);
  });

  it("does not leave the chat stuck when the Bot API drops a call in the middle of the conversation", async () => {
    await start();
    await say(fridrich, "/start");
    await next(fridrich);
    // The phone question's connection is dropped once: it is sent again and the conversation goes on.
    t.telegram.failNext("sendMessage", "network");
    expect((await say(fridrich, "Фридрих")).plainText).toBe(textOf("phone-ask", { name: "Фридрих" }));
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("lead-created", lastLead()));

    // An unreachable Bot API fails within seconds instead of hanging the chat; the next message works.
    await say(fridrich, "/start");
    await next(fridrich);
    t.telegram.failNext("sendMessage", "network", 3);
    expect((await say(fridrich, "Анна")).plainText).toBe(textOf("error-generic"));
    expect((await say(fridrich, "/start")).plainText).toBe(textOf("start-greeting"));
    expect(t.crm.created).toHaveLength(1);
  });

  it("escapes user text that is echoed back", async () => {
    await start();
    await say(fridrich, "/start");
    await next(fridrich);
    const phoneQuestion = await say(fridrich, "<b>Bob</b> & Co");
    expect(phoneQuestion.text).toContain("&lt;b&gt;Bob&lt;/b&gt; &amp; Co");
    expect(phoneQuestion.plainText).toContain("<b>Bob</b> & Co");
  });

  it("asks for consent first when PRIVACY_POLICY_URL is set, and records it", async () => {
    await start({ env: { PRIVACY_POLICY_URL: "https://lender.example/privacy?a=1&b=2" } });
    await say(fridrich, "/start");
    const consent = await next(fridrich);
    expect(consent.text).toContain('href="https://lender.example/privacy?a=1&amp;b=2"');
    expect((await say(fridrich, "Фридрих")).plainText).toBe(textOf("consent-required"));
    t.telegram.pressButton(fridrich, consent, "consent:yes");
    const nameQuestion = await t.telegram.waitForMessage(fridrich.id, (m) => m.plainText === textOf("name-ask", { suggested: "yes" }));
    expect(nameQuestion).toBeDefined();
    await t.telegram.nextMessage(fridrich.id); // the consent message loses its button (an edit)
    await t.telegram.nextMessage(fridrich.id);
    await say(fridrich, "Фридрих");
    expect((await say(fridrich, "89776200777")).plainText).toBe(textOf("lead-created", lastLead()));
    const [stored] = await t.app.store.leads.listByState(["delivered"], 10);
    expect(stored?.consentAt).toBeTypeOf("number");
  });

  it("passes a tap on an old button on mid-conversation instead of taking it as an answer", async () => {
    await start({ env: { PRIVACY_POLICY_URL: "https://lender.example/privacy" } });
    await say(fridrich, "/start");
    const oldConsent = await next(fridrich);
    await say(fridrich, "/start");
    const consent = await next(fridrich);
    t.telegram.pressButton(fridrich, consent, "consent:yes");
    await t.telegram.waitForMessage(fridrich.id, (m) => m.plainText === textOf("name-ask", { suggested: "yes" }));
    await next(fridrich); // the consent message loses its button (an edit)
    await next(fridrich);
    // The first consent message still shows its button: a tap on it now is no answer to the name question.
    t.telegram.pressButton(fridrich, oldConsent, "consent:yes");
    await expect.poll(() => t.telegram.calls.filter((c) => c.method === "answerCallbackQuery").length).toBe(2);
    expect(t.telegram.unread(fridrich.id)).toEqual([]);
    expect((await say(fridrich, "Фридрих")).plainText).toMatch(patternOf("phone-ask"));
    expect((await say(fridrich, "89776200777")).plainText).toMatch(patternOf("lead-created"));
  });

  it("speaks English to an English-speaking person and Russian by default", async () => {
    await start();
    expect((await say(john, "/start")).plainText).toBe(textOf("start-greeting", {}, "en"));
    expect((await next(john)).plainText).toBe(textOf("name-ask", { suggested: "yes" }, "en"));
    expect((await say(john, "John")).plainText).toBe(textOf("phone-ask", { name: "John" }, "en"));
    expect((await say(john, "+44 7911 123456")).plainText).toBe(textOf("lead-created", lastLead("+44 7911 123456"), "en"));
    const stranger: FakeUser = { id: 5003, first_name: "Hans", language_code: "de" };
    expect((await say(stranger, "/start")).plainText).toBe(textOf("start-greeting"));
  });

  it("uses DEFAULT_LOCALE for people whose language is neither ru nor en", async () => {
    await start({ env: { DEFAULT_LOCALE: "en" } });
    const stranger: FakeUser = { id: 5003, first_name: "Hans", language_code: "de" };
    expect((await say(stranger, "/start")).plainText).toBe(textOf("start-greeting", {}, "en"));
  });
});

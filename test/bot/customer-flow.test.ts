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
    expect(greeting.plainText).toMatch(/Здравствуйте/);
    const nameQuestion = await next(fridrich);
    expect(nameQuestion.plainText).toMatch(/Как вас зовут/);
    expect(keyboardTexts(nameQuestion)).toEqual(["Фридрих"]);

    const phoneQuestion = await say(fridrich, "Фридрих");
    expect(phoneQuestion.plainText).toMatch(/Фридрих/);
    expect(phoneQuestion.plainText).toMatch(/напишите/);
    expect(phoneQuestion.reply_markup.keyboard[0][0]).toMatchObject({ request_contact: true });

    t.telegram.sendContact(fridrich, { phone_number: "79776200777", first_name: "Фридрих", user_id: fridrich.id });
    const done = await next(fridrich);
    const lead = t.crm.created[0];
    expect(lead?.id).toBeTypeOf("number");
    expect(done.plainText).toContain(`№ ${lead?.id}`);
    expect(done.plainText).toContain("+7 977 620-07-77");
    expect(done.reply_markup).toEqual({ remove_keyboard: true });
    expect(JSON.stringify(lead?.body)).toBe('{"firstName":"Фридрих","mobilePhone":"79776200777"}');
    expect(lead?.headers.bsauth).toBe(TEST_CRM_TOKEN);
    expect(t.crm.received).toHaveLength(1);
    expect(t.telegram.chatActions(fridrich.id)).toContain("typing");
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
    expect((await next(fridrich)).plainText).toMatch(/контакт другого человека/);
    t.telegram.sendContact(fridrich, { phone_number: "+79161234567", first_name: "Мама" });
    expect((await next(fridrich)).plainText).toMatch(/контакт другого человека/);
    expect(t.crm.received).toHaveLength(0);
    t.telegram.sendContact(fridrich, { phone_number: "+79776200777", first_name: "Фридрих", user_id: fridrich.id });
    expect((await next(fridrich)).plainText).toMatch(/заявка № \d+ принята/);
  });

  it("says what is wrong with a name or a number", async () => {
    await start();
    await say(fridrich, "/start");
    await next(fridrich);
    expect((await say(fridrich, "   ")).plainText).toMatch(/Имя не может быть пустым|буквы/);
    expect((await say(fridrich, "https://spam.example")).plainText).toMatch(/Ссылка/);
    expect((await say(fridrich, "+7 977 620 07 77")).plainText).toMatch(/номер телефона/);
    await say(fridrich, "Фридрих");
    expect((await say(fridrich, "8 800 555 35 35")).plainText).toMatch(/не мобильный/);
    expect((await say(fridrich, "12345")).plainText).toMatch(/не хватает цифр/);
    expect((await say(fridrich, "позвоните мне")).plainText).toMatch(/только цифры/);
    expect((await say(fridrich, "797762007777")).plainText).toMatch(/Такого номера не существует|слишком много/);
    expect(t.crm.received).toHaveLength(0);
  });

  it("refuses numbers from countries outside ALLOWED_COUNTRIES with the reason", async () => {
    await start({ env: { ALLOWED_COUNTRIES: "RU" } });
    await upToPhone(fridrich);
    expect((await say(fridrich, "+380 50 123 4567")).plainText).toMatch(/не работаем с номерами этой страны \(UA\)/);
  });

  it("asks for the name again on NO_CLIENT_FIRST_NAME_ERROR, keeping the phone", async () => {
    await start();
    t.crm.setFieldError("firstName", 1);
    await upToPhone(fridrich);
    expect((await say(fridrich, "89776200777")).plainText).toMatch(/не приняла имя/);
    const done = await say(fridrich, "Фридрих Карлович");
    expect(done.plainText).toMatch(/принята/);
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
    expect(again.plainText).toMatch(/не приняла номер телефона/);
    expect(again.reply_markup.keyboard[0][0]).toMatchObject({ request_contact: true });
    expect((await say(fridrich, "+7 916 123-45-67")).plainText).toMatch(/принята/);
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
    expect(queued.plainText).toMatch(/данные сохранены/);
    expect(queued.plainText).not.toMatch(/ошиб(ка|лись)/i);
    t.crm.setFault("none");
    const later = await t.telegram.nextMessage(fridrich.id, 10_000);
    expect(later.plainText).toContain(`№ ${t.crm.created[0]?.id}`);
    expect(t.crm.created).toHaveLength(1);
  });

  it("apologises without blaming the person when Brainysoft rejects the lead", async () => {
    await start();
    t.crm.setFault("reject400");
    await upToPhone(fridrich);
    const answer = await say(fridrich, "89776200777");
    expect(answer.plainText).toMatch(/Это не ваша ошибка/);
    expect(answer.reply_markup).toEqual({ remove_keyboard: true });
  });

  it("re-asks the current question for stickers, photos, voice and other commands", async () => {
    await start();
    await say(fridrich, "/start");
    await next(fridrich);
    t.telegram.sendSticker(fridrich);
    expect((await next(fridrich)).plainText).toMatch(/не понял.*Как вас зовут/s);
    expect((await say(fridrich, "/whatever")).plainText).toMatch(/жду ваше имя/);
    await say(fridrich, "Фридрих");
    t.telegram.sendPhoto(fridrich);
    expect((await next(fridrich)).plainText).toMatch(/не понял.*номером телефона/s);
    t.telegram.sendVoice(fridrich);
    expect((await next(fridrich)).plainText).toMatch(/не понял.*номером телефона/s);
    expect((await say(fridrich, "/foo")).plainText).toMatch(/не понял/);
    expect((await say(fridrich, "89776200777")).plainText).toMatch(/принята/);
  });

  it("/help explains and the conversation goes on; /cancel ends it; /start starts over", async () => {
    await start();
    await upToPhone(fridrich);
    expect((await say(fridrich, "/help")).plainText).toMatch(/\/cancel/);
    expect((await say(fridrich, "89776200777")).plainText).toMatch(/принята/);

    await upToPhone(fridrich, "Анна");
    const cancelled = await say(fridrich, "/cancel");
    expect(cancelled.plainText).toMatch(/заявка отменена/);
    expect(cancelled.reply_markup).toEqual({ remove_keyboard: true });
    expect((await say(fridrich, "89161234567")).plainText).toMatch(/нажмите \/start/);
    expect((await say(fridrich, "/cancel")).plainText).toMatch(/нечего отменять/);

    await upToPhone(fridrich, "Анна");
    expect((await say(fridrich, "/start")).plainText).toMatch(/Здравствуйте/);
    expect((await next(fridrich)).plainText).toMatch(/Как вас зовут/);
    expect(t.crm.received).toHaveLength(1);
  });

  it("outside a conversation points to /start; an own contact starts with the phone known", async () => {
    await start();
    expect((await say(fridrich, "здравствуйте, мне нужен займ")).plainText).toMatch(/нажмите \/start/);
    t.telegram.sendContact(fridrich, { phone_number: "+79776200777", first_name: "Фридрих", user_id: fridrich.id });
    expect((await next(fridrich)).plainText).toMatch(/Как вас зовут/);
    expect((await say(fridrich, "Фридрих")).plainText).toMatch(/принята/);
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
    expect(again.plainText).toMatch(/уже зарегистрирована/);
    expect(again.plainText).toContain(`№ ${t.crm.created[0]?.id}`);
    expect(done.plainText).toContain(`№ ${t.crm.created[0]?.id}`);
    expect(t.crm.received).toHaveLength(1);
  });

  it("does not leave the chat stuck when the Bot API drops a call in the middle of the conversation", async () => {
    await start();
    await say(fridrich, "/start");
    await next(fridrich);
    // The phone question's connection is dropped once: it is sent again and the conversation goes on.
    t.telegram.failNext("sendMessage", "network");
    expect((await say(fridrich, "Фридрих")).plainText).toMatch(/поделитесь номером/);
    expect((await say(fridrich, "89776200777")).plainText).toMatch(/принята/);

    // An unreachable Bot API fails within seconds instead of hanging the chat; the next message works.
    await say(fridrich, "/start");
    await next(fridrich);
    t.telegram.failNext("sendMessage", "network", 3);
    expect((await say(fridrich, "Анна")).plainText).toMatch(/что-то пошло не так/);
    expect((await say(fridrich, "/start")).plainText).toMatch(/Здравствуйте/);
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
    expect((await say(fridrich, "Фридрих")).plainText).toMatch(/Без согласия/);
    t.telegram.pressButton(fridrich, consent, "consent:yes");
    const nameQuestion = await t.telegram.waitForMessage(fridrich.id, (m) => /Как вас зовут/.test(m.plainText ?? ""));
    expect(nameQuestion).toBeDefined();
    await t.telegram.nextMessage(fridrich.id); // the consent message loses its button (an edit)
    await t.telegram.nextMessage(fridrich.id);
    await say(fridrich, "Фридрих");
    expect((await say(fridrich, "89776200777")).plainText).toMatch(/принята/);
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
    expect((await say(john, "/start")).plainText).toMatch(/^Hello!/);
    expect((await next(john)).plainText).toMatch(/What is your first name/);
    expect((await say(john, "John")).plainText).toMatch(/Nice to meet you, John/);
    expect((await say(john, "+44 7911 123456")).plainText).toMatch(/application No\. \d+ is registered/);
    const stranger: FakeUser = { id: 5003, first_name: "Hans", language_code: "de" };
    expect((await say(stranger, "/start")).plainText).toMatch(/Здравствуйте/);
  });

  it("uses DEFAULT_LOCALE for people whose language is neither ru nor en", async () => {
    await start({ env: { DEFAULT_LOCALE: "en" } });
    const stranger: FakeUser = { id: 5003, first_name: "Hans", language_code: "de" };
    expect((await say(stranger, "/start")).plainText).toMatch(/^Hello!/);
  });
});

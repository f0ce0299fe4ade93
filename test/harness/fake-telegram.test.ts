import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Bot, GrammyError, HttpError, InlineKeyboard, InputFile, webhookCallback } from "grammy";
import type { Update } from "grammy/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram, type FakeUser } from "../../src/fakes/fake-telegram.js";

// biome-ignore lint/suspicious/noExplicitAny: raw Bot API and control answers, read freely by each test
type Raw = any;

const alice: FakeUser = { id: 1001, first_name: "Alice", username: "alice", language_code: "ru" };
const bob: FakeUser = { id: 1002, first_name: "Bob" };

let fake: FakeTelegram;
const bots: Bot[] = [];
/** Errors the bots' handlers threw; a test that expects some empties this. */
let botErrors: unknown[] = [];

beforeEach(async () => {
  fake = await startFakeTelegram({ webhookRetryDelayMs: 20 });
});

afterEach(async () => {
  // Stop bots first: a bot still polling a closed server only logs network errors and retries.
  await Promise.all(bots.splice(0).map((b) => (b.isRunning() ? b.stop() : undefined)));
  await fake.close();
  const errors = botErrors;
  botErrors = [];
  expect(errors).toEqual([]);
});

/** A real grammY bot talking to the fake, polling; resolves once it has started polling. */
async function startBot(setup: (bot: Bot) => void): Promise<Bot> {
  const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
  setup(bot);
  bot.catch((err) => void botErrors.push(err.error));
  bots.push(bot);
  await new Promise<void>((resolve) => void bot.start({ onStart: () => resolve() }));
  return bot;
}

/** Calls the fake like any HTTP client would. */
async function api(method: string, body: Record<string, unknown> = {}, token = fake.token) {
  const res = await fetch(`${fake.apiRoot}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as {
      ok: boolean;
      result?: Raw;
      error_code?: number;
      description?: string;
      parameters?: { retry_after?: number };
    },
  };
}

async function control(path: string, body?: unknown) {
  const res = await fetch(
    `${fake.apiRoot}${path}`,
    body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );
  return { status: res.status, json: (await res.json()) as Raw };
}

describe("getUpdates", () => {
  it("confirms with offset and keeps unconfirmed updates", async () => {
    const first = fake.sendText(alice, "one");
    const second = fake.sendText(alice, "two");
    const all = await api("getUpdates");
    expect(all.json.result.map((u: Update) => u.update_id)).toEqual([first, second]);
    // Not confirmed yet: asked again, Telegram returns the same updates.
    expect((await api("getUpdates")).json.result).toHaveLength(2);
    expect((await api("getUpdates", { offset: second })).json.result.map((u: Update) => u.message?.text)).toEqual(["two"]);
    expect(fake.pendingUpdates()).toBe(1);
    expect((await api("getUpdates", { offset: second + 1 })).json.result).toEqual([]);
    expect(fake.pendingUpdates()).toBe(0);
  });

  it("honours limit", async () => {
    for (let i = 0; i < 5; i++) fake.sendText(alice, `m${i}`);
    expect((await api("getUpdates", { limit: 2 })).json.result).toHaveLength(2);
  });

  it("holds a long poll and answers as soon as an update arrives", async () => {
    const started = Date.now();
    const poll = api("getUpdates", { timeout: 10 });
    setTimeout(() => fake.sendText(alice, "hello"), 100);
    const { json } = await poll;
    expect(json.result.map((u: Update) => u.message?.text)).toEqual(["hello"]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("answers an empty list when the long poll times out", async () => {
    const started = Date.now();
    const { json } = await api("getUpdates", { timeout: 1 });
    expect(json).toEqual({ ok: true, result: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("answers an older pending poll with 409 when a second poller arrives", async () => {
    const older = api("getUpdates", { timeout: 10 });
    await expect.poll(() => fake.calls.filter((c) => c.method === "getUpdates").length).toBe(1);
    const newer = api("getUpdates", { timeout: 0 });
    const [o, n] = await Promise.all([older, newer]);
    expect(o.status).toBe(409);
    expect(o.json.description).toContain("terminated by other getUpdates request");
    expect(n.json.ok).toBe(true);
  });

  it("skips update types that allowed_updates does not ask for", async () => {
    fake.injectRaw({ chat_member: { chat: { id: -5, type: "group", title: "g" } } });
    fake.sendText(alice, "hi");
    const { json } = await api("getUpdates", { allowed_updates: [] });
    expect(json.result.map((u: Update) => Object.keys(u))).toEqual([["message", "update_id"]]);
  });

  it("delivers an update re-injected with an id the bot already confirmed, once", async () => {
    const id = fake.sendText(alice, "once");
    await api("getUpdates");
    await api("getUpdates", { offset: id + 1 });
    fake.injectRaw({
      update_id: id,
      message: { message_id: 99, date: 0, chat: { id: alice.id, type: "private", first_name: "Alice" }, text: "once" },
    });
    const again = await api("getUpdates", { offset: id + 1 });
    expect(again.json.result.map((u: Update) => u.update_id)).toEqual([id]);
    expect((await api("getUpdates", { offset: id + 1 })).json.result).toEqual([]);
  });
});

describe("with a grammY bot", () => {
  it("marks commands, records replies with their keyboard and reads them in order", async () => {
    await startBot((bot) => {
      bot.command("start", async (ctx) => {
        await ctx.replyWithChatAction("typing");
        await ctx.reply(`Hello, payload=${ctx.match}`, { reply_markup: new InlineKeyboard().text("Apply", "apply") });
        await ctx.reply("second");
      });
    });
    fake.sendText(alice, "/start ad42");
    const hello = await fake.nextMessage(alice.id);
    expect(hello.text).toBe("Hello, payload=ad42");
    expect(hello.reply_markup.inline_keyboard[0][0]).toEqual({ text: "Apply", callback_data: "apply" });
    expect((await fake.nextMessage(alice.id)).text).toBe("second");
    expect(fake.unread(alice.id)).toEqual([]);
    expect(fake.chatActions(alice.id)).toEqual(["typing"]);
    // waitForMessage searches the whole history, so it finds a message sent before the call.
    expect((await fake.waitForMessage(alice.id, (m) => m.text?.startsWith("Hello") ?? false)).message_id).toBe(hello.message_id);
  });

  it("gives a text starting with a command a bot_command entity", async () => {
    const seen: Update[] = [];
    await startBot((bot) => bot.on("message", (ctx) => void seen.push(ctx.update)));
    fake.sendText(alice, "/start@fake_test_bot x");
    fake.sendText(alice, "no /command here");
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[0]!.message!.entities).toEqual([{ type: "bot_command", offset: 0, length: "/start@fake_test_bot".length }]);
    expect(seen[1]!.message!.entities).toBeUndefined();
  });

  it("sends contacts shaped like Telegram's", async () => {
    const seen: Update[] = [];
    await startBot((bot) => bot.on("message:contact", (ctx) => void seen.push(ctx.update)));
    fake.sendContact(alice, { phone_number: "79776200777", first_name: "Alice", user_id: alice.id });
    fake.sendContact(alice, { phone_number: "+380501234567", first_name: "Carol" }, { forwardFrom: bob });
    await expect.poll(() => seen.length).toBe(2);
    const own = seen[0]!.message!;
    expect(own.contact).toEqual({ phone_number: "79776200777", first_name: "Alice", user_id: alice.id });
    expect(own.from).toEqual({ id: alice.id, is_bot: false, first_name: "Alice", username: "alice", language_code: "ru" });
    expect(own.chat).toEqual({ id: alice.id, type: "private", first_name: "Alice", username: "alice" });
    expect(seen[1]!.message!.contact!.user_id).toBeUndefined();
    expect(seen[1]!.message!.forward_origin).toMatchObject({ type: "user", sender_user: { id: bob.id } });
  });

  it("handles buttons: callback query, answer, edit that keeps or drops the keyboard", async () => {
    await startBot((bot) => {
      bot.command("menu", (ctx) => ctx.reply("Pick", { reply_markup: new InlineKeyboard().text("A", "a").text("B", "b") }));
      bot.callbackQuery("a", async (ctx) => {
        await ctx.answerCallbackQuery();
        await ctx.editMessageText("You picked A", { reply_markup: new InlineKeyboard().text("B", "b") });
      });
      bot.callbackQuery("b", async (ctx) => {
        await ctx.answerCallbackQuery("done");
        await ctx.editMessageText("You picked B");
      });
    });
    fake.sendText(alice, "/menu");
    const menu = await fake.nextMessage(alice.id);
    expect(() => fake.pressButton(alice, menu, "zzz")).toThrow(/shows: "A"="a", "B"="b"/);

    fake.pressButton(alice, menu, "a");
    const edit = await fake.nextMessage(alice.id);
    expect(edit).toMatchObject({ method: "editMessageText", message_id: menu.message_id, text: "You picked A" });
    expect(menu.text).toBe("You picked A"); // the original record shows the message as it is now

    fake.pressButton(alice, menu, "b");
    await fake.nextMessage(alice.id);
    // Editing text without reply_markup removes the keyboard, as in Telegram.
    expect(menu.reply_markup).toBeUndefined();
    expect(() => fake.pressButton(alice, menu, "b")).toThrow(/shows: none/);
    expect(fake.calls.filter((c) => c.method === "answerCallbackQuery" && !c.error)).toHaveLength(2);
  });

  it("uploads documents as multipart and records name, size and caption", async () => {
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    await bot.api.sendDocument(alice.id, new InputFile(Buffer.from("%PDF-1.4 fake"), "offer.pdf"), {
      caption: "<b>Your offer</b>",
      parse_mode: "HTML",
    });
    await bot.api.sendPhoto(alice.id, new InputFile(Buffer.alloc(1000, 1)));
    const [doc, photo] = fake.sent(alice.id);
    expect(doc).toMatchObject({ method: "sendDocument", chat_id: alice.id, caption: "<b>Your offer</b>", plainText: "Your offer" });
    expect(doc!.document).toMatchObject({ filename: "offer.pdf", size: 13 });
    expect(doc!.document!.content!.toString()).toBe("%PDF-1.4 fake");
    expect(photo).toMatchObject({ method: "sendPhoto", document: { filename: "photo.jpg", size: 1000 } });
    expect(fake.calls.at(-2)!.body).toMatchObject({ chat_id: String(alice.id), document: { filename: "offer.pdf", size: 13 } });
  });

  it("answers 429 with retry_after, then works again", async () => {
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    fake.failNext("sendMessage", { code: 429, description: "Too Many Requests: retry after 3", retry_after: 3 });
    const error = await bot.api.sendMessage(alice.id, "hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).error_code).toBe(429);
    expect((error as GrammyError).parameters.retry_after).toBe(3);
    expect(fake.sent(alice.id)).toEqual([]); // a refused call has no effect
    await bot.api.sendMessage(alice.id, "hi");
    expect(fake.sent(alice.id).map((m) => m.text)).toEqual(["hi"]);
  });

  it("can drop the connection instead of answering", async () => {
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    fake.failNext("*", "network");
    await expect(bot.api.sendMessage(alice.id, "hi")).rejects.toBeInstanceOf(HttpError);
    await bot.api.sendMessage(alice.id, "hi");
    expect(fake.sent(alice.id)).toHaveLength(1);
  });

  it("lists what the chat received when a wait times out", async () => {
    await startBot((bot) => bot.on("message:text", (ctx) => ctx.reply(`echo <b>${ctx.msg.text}</b>`, { parse_mode: "HTML" })));
    fake.sendText(alice, "plain");
    fake.sendText(alice, "1<2"); // unescaped user input: Telegram refuses the reply
    const error = await fake.waitForMessage(alice.id, (m) => m.text === "never", 500).catch((e: Error) => e);
    expect(String(error)).toMatch(/waitForMessage\(1001\): nothing matching within 500 ms/);
    expect(String(error)).toMatch(/#1 sendMessage message_id=\d+ "echo <b>plain<\/b>"/);
    expect(String(error)).toContain('sendMessage: 400 Bad Request: can\'t parse entities: Unsupported start tag "2</b" at byte offset 9');
    expect(String(error)).toContain("delivery: polling");
    expect(botErrors).toHaveLength(1);
    botErrors = [];
  });
});

describe("Bot API checks", () => {
  it("refuses HTML that Telegram would refuse and accepts escaped text", async () => {
    const raw = await api("sendMessage", { chat_id: alice.id, text: "Hi <script>alert(1)</script>", parse_mode: "HTML" });
    expect(raw.status).toBe(400);
    expect(raw.json.description).toBe('Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 3');
    expect((await api("sendMessage", { chat_id: alice.id, text: "a < b", parse_mode: "HTML" })).status).toBe(400);
    expect((await api("sendMessage", { chat_id: alice.id, text: "<b>x</i>", parse_mode: "HTML" })).json.description).toContain(
      "Unmatched end tag",
    );
    expect((await api("sendMessage", { chat_id: alice.id, text: "<b>bold", parse_mode: "HTML" })).json.description).toContain(
      "Can't find end tag",
    );

    const ok = await api("sendMessage", {
      chat_id: alice.id,
      text: "Hi &lt;script&gt; &amp; <b>you</b> &#33; a > b & c",
      parse_mode: "HTML",
    });
    expect(ok.json.ok).toBe(true);
    expect(ok.json.result.text).toBe("Hi <script> & you ! a > b & c");
    expect(ok.json.result.entities).toEqual([{ type: "bold", offset: 14, length: 3 }]);
    const links = await api("sendMessage", {
      chat_id: alice.id,
      text: '<a href="https://example.com/?a=1&amp;b=2">site</a> <span class="tg-spoiler">s</span> <pre><code class="language-ts">x</code></pre> <blockquote expandable>q</blockquote>',
      parse_mode: "HTML",
    });
    expect(links.json.result.entities).toEqual([
      { type: "text_link", offset: 0, length: 4, url: "https://example.com/?a=1&b=2" },
      { type: "spoiler", offset: 5, length: 1 },
      { type: "pre", offset: 7, length: 1, language: "ts" },
      { type: "expandable_blockquote", offset: 9, length: 1 },
    ]);
    // The record keeps what the bot sent, so escaping is visible in assertions.
    expect(fake.sent(alice.id)[0]).toMatchObject({
      text: "Hi &lt;script&gt; &amp; <b>you</b> &#33; a > b & c",
      plainText: "Hi <script> & you ! a > b & c",
    });
  });

  it("validates sendMessage like Telegram", async () => {
    expect((await api("sendMessage", { text: "x" })).json).toEqual({
      ok: false,
      error_code: 400,
      description: "Bad Request: chat_id is empty",
    });
    expect((await api("sendMessage", { chat_id: 1, text: "" })).json.description).toBe("Bad Request: message text is empty");
    expect((await api("sendMessage", { chat_id: 1 })).json.description).toBe("Bad Request: message text is empty");
    expect((await api("sendMessage", { chat_id: 1, text: "x".repeat(4097) })).json.description).toBe("Bad Request: message is too long");
    const longData = { inline_keyboard: [[{ text: "x", callback_data: "d".repeat(65) }]] };
    expect((await api("sendMessage", { chat_id: 1, text: "x", reply_markup: longData })).json.description).toBe(
      "Bad Request: BUTTON_DATA_INVALID",
    );
  });

  it("refuses an edit that changes nothing and an edit of a missing message", async () => {
    const sent = await api("sendMessage", { chat_id: alice.id, text: "same" });
    const again = await api("editMessageText", { chat_id: alice.id, message_id: sent.json.result.message_id, text: "same" });
    expect(again.json.description).toMatch(/^Bad Request: message is not modified/);
    expect((await api("editMessageText", { chat_id: alice.id, message_id: 999, text: "x" })).json.description).toBe(
      "Bad Request: message to edit not found",
    );
    expect((await api("deleteMessage", { chat_id: alice.id, message_id: sent.json.result.message_id })).json.result).toBe(true);
    expect(fake.sent(alice.id).map((m) => [m.method, m.deleted ?? false])).toEqual([
      ["sendMessage", true],
      ["deleteMessage", false],
    ]);
  });

  it("answers 401 to a wrong token and Telegram's 404 to a method it does not know", async () => {
    expect(await api("getMe", {}, "123:wrong")).toEqual({ status: 401, json: { ok: false, error_code: 401, description: "Unauthorized" } });
    const unknown = await api("sendMesage", { chat_id: 1, text: "x" });
    expect(unknown).toEqual({ status: 404, json: { ok: false, error_code: 404, description: "Not Found" } });
    expect(fake.calls.at(-1)).toMatchObject({ method: "sendMesage", error: { code: 404, description: "Not Found" } });
    expect((await api("getme")).json.result).toMatchObject({ id: 1234567890, is_bot: true, username: "fake_test_bot" });
  });

  it("stores commands per scope and language", async () => {
    await api("setMyCommands", { commands: [{ command: "start", description: "Start" }] });
    await api("setMyCommands", { commands: [{ command: "start", description: "Начать" }], language_code: "ru" });
    expect(fake.commands()).toEqual([{ command: "start", description: "Start" }]);
    expect((await api("getMyCommands", { language_code: "ru" })).json.result).toEqual([{ command: "start", description: "Начать" }]);
    expect((await api("setMyCommands", { commands: [{ command: "Start!", description: "x" }] })).json.description).toBe(
      "Bad Request: BOT_COMMAND_INVALID",
    );
    await api("deleteMyCommands", { language_code: "ru" });
    expect(fake.commands({ type: "default" }, "ru")).toEqual([]);
  });

  it("refuses a command list Telegram would refuse: a long description, a malformed scope, a bad language", async () => {
    const refusal = async (params: Record<string, unknown>) =>
      (await api("setMyCommands", { commands: [{ command: "start", description: "Start" }], ...params })).json.description;
    expect((await api("setMyCommands", { commands: [{ command: "start", description: "x".repeat(257) }] })).json.description).toBe(
      "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
    );
    expect(await refusal({ scope: { type: "chat" } })).toBe("Bad Request: can't parse BotCommandScope JSON object");
    expect(await refusal({ scope: { type: "everyone" } })).toBe("Bad Request: can't parse BotCommandScope JSON object");
    expect(await refusal({ language_code: "rus" })).toBe("Bad Request: LANG_CODE_INVALID");
    expect(await refusal({ scope: { type: "chat", chat_id: 5 }, language_code: "en" })).toBeUndefined();
    expect(fake.commands({ type: "chat", chat_id: 5 }, "en")).toEqual([{ command: "start", description: "Start" }]);
  });
});

describe("Telegram's limits and parameter checks", () => {
  const description = async (method: string, body: Record<string, unknown>) => {
    const answer = await api(method, body);
    expect(answer.status).toBe(answer.json.ok ? 200 : answer.json.error_code);
    return answer.json.ok ? "ok" : answer.json.description;
  };

  it("refuses a call without a required parameter, in Telegram's words", async () => {
    expect(await description("sendChatAction", { chat_id: alice.id })).toBe("Bad Request: wrong parameter action in request");
    expect(await description("deleteMessage", { chat_id: alice.id })).toBe("Bad Request: message identifier is not specified");
    expect(await description("deleteMessage", { message_id: 1 })).toBe("Bad Request: chat identifier is not specified");
    expect(await description("sendDocument", { chat_id: alice.id })).toBe("Bad Request: there is no document in the request");
    expect(await description("setMyCommands", {})).toBe("Bad Request: can't parse commands JSON object");
    expect(await description("answerCallbackQuery", { text: "x" })).toBe(
      "Bad Request: query is too old and response timeout expired or query ID is invalid",
    );
    expect(await description("sendMessage", { chat_id: alice.id, text: null })).toBe("Bad Request: message text is empty");
  });

  it("refuses parameters of the wrong type", async () => {
    expect(await description("sendMessage", { chat_id: alice.id, text: 42 })).toBe('Bad Request: parameter "text" must be of type String');
    expect(await description("sendMessage", { chat_id: alice.id, text: "x", reply_markup: "[1" })).toBe(
      "Bad Request: can't parse reply keyboard markup JSON object",
    );
    expect(await description("sendMessage", { chat_id: alice.id, text: "x", entities: { type: "bold" } })).toBe(
      "Bad Request: can't parse entities JSON object",
    );
    expect(await description("sendMessage", { chat_id: alice.id, text: "x", disable_notification: "yes" })).toBe(
      'Bad Request: parameter "disable_notification" must be of type Boolean',
    );
    expect(await description("deleteMessage", { chat_id: alice.id, message_id: "first" })).toBe(
      'Bad Request: parameter "message_id" must be of type Integer',
    );
    expect(await description("getUpdates", { timeout: [30] })).toBe('Bad Request: parameter "timeout" must be of type Integer');
    expect(await description("sendMessage", { chat_id: { id: alice.id }, text: "x" })).toBe(
      'Bad Request: parameter "chat_id" must be of type Integer|String',
    );
    // Form fields are text: numbers and booleans written as text are what they say.
    const form = new URLSearchParams({
      chat_id: String(alice.id),
      text: "x",
      disable_notification: "true",
      reply_markup: '{"remove_keyboard":true}',
    });
    const sent = await fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, { method: "POST", body: form });
    expect(((await sent.json()) as { ok: boolean }).ok).toBe(true);
  });

  it("counts a text after entity parsing: 4096 characters pass, 4097 do not, tags and &lt; do not count twice", async () => {
    expect(
      await description("sendMessage", { chat_id: alice.id, text: `<b>${"x".repeat(4000)}</b>${"&lt;".repeat(96)}`, parse_mode: "HTML" }),
    ).toBe("ok");
    expect(
      await description("sendMessage", { chat_id: alice.id, text: `<b>${"x".repeat(4001)}</b>${"&lt;".repeat(96)}`, parse_mode: "HTML" }),
    ).toBe("Bad Request: message is too long");
    const sent = await api("sendMessage", { chat_id: alice.id, text: "short" });
    const edit = { chat_id: alice.id, message_id: sent.json.result.message_id };
    expect(await description("editMessageText", { ...edit, text: "y".repeat(4097) })).toBe("Bad Request: message is too long");
    expect(await description("editMessageText", { ...edit, text: "<p>y</p>", parse_mode: "HTML" })).toBe(
      'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0',
    );
    expect(await description("editMessageText", { ...edit, text: "<b><i>y</b></i>", parse_mode: "HTML" })).toMatch(
      /^Bad Request: can't parse entities: Unmatched end tag/,
    );
  });

  it("holds captions to 1024 characters and callback data to 64 bytes", async () => {
    const upload = async (caption: string) => {
      const form = new FormData();
      form.set("chat_id", String(alice.id));
      form.set("caption", caption);
      form.set("document", new Blob(["a,b\r\n"]), "x.csv");
      const res = await fetch(`${fake.apiRoot}/bot${fake.token}/sendDocument`, { method: "POST", body: form });
      return ((await res.json()) as { ok: boolean; description?: string }).description ?? "ok";
    };
    expect(await upload("c".repeat(1024))).toBe("ok");
    expect(await upload("c".repeat(1025))).toBe("Bad Request: message caption is too long");
    // 32 Cyrillic letters are 64 bytes; 33 are 66.
    const keyboard = (data: string) => ({ inline_keyboard: [[{ text: "b", callback_data: data }]] });
    expect(await description("sendMessage", { chat_id: alice.id, text: "x", reply_markup: keyboard("ж".repeat(32)) })).toBe("ok");
    expect(await description("sendMessage", { chat_id: alice.id, text: "x", reply_markup: keyboard("ж".repeat(33)) })).toBe(
      "Bad Request: BUTTON_DATA_INVALID",
    );
  });

  it("holds a callback query's answer to 200 characters, and the query stays answerable after a refusal", async () => {
    const sent = await api("sendMessage", {
      chat_id: alice.id,
      text: "pick",
      reply_markup: { inline_keyboard: [[{ text: "A", callback_data: "a" }]] },
    });
    fake.pressButton(alice, { chat_id: alice.id, message_id: sent.json.result.message_id }, "a");
    const [update] = (await api("getUpdates")).json.result as Update[];
    const id = update?.callback_query?.id;
    expect(await description("answerCallbackQuery", { callback_query_id: id, text: "t".repeat(201) })).toBe(
      "Bad Request: MESSAGE_TOO_LONG",
    );
    expect(await description("answerCallbackQuery", { callback_query_id: id, text: "t".repeat(200) })).toBe("ok");
  });

  it("checks a method call a webhook answers with like any other", async () => {
    const hook = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ method: "sendMessage", chat_id: alice.id, text: "y".repeat(4097) }));
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    try {
      await api("setWebhook", { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` });
      fake.sendText(alice, "hi");
      await expect
        .poll(() => fake.calls.find((c) => c.method === "sendMessage")?.error)
        .toEqual({ code: 400, description: "Bad Request: message is too long" });
      expect(fake.sent(alice.id)).toEqual([]);
    } finally {
      await api("deleteWebhook");
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });
});

describe("failure modes for load", () => {
  it("failEvery answers every nth call with 429 and leaves getUpdates alone", async () => {
    fake.failEvery(3);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await api("sendMessage", { chat_id: 1, text: `m${i}` })).status);
      statuses.push((await api("getUpdates")).status);
    }
    expect(statuses.filter((_, i) => i % 2 === 0)).toEqual([200, 200, 429, 200, 200, 429]);
    expect(statuses.filter((_, i) => i % 2 === 1)).toEqual([200, 200, 200, 200, 200, 200]);
    const limited = fake.calls.find((c) => c.error?.code === 429);
    expect(limited?.error?.description).toBe("Too Many Requests: retry after 1");
    fake.failEvery(0);
    expect((await api("sendMessage", { chat_id: 1, text: "free" })).status).toBe(200);
  });
});

describe("failEvery, a call sent again", () => {
  it("goes through, as a send that waited out its retry_after does, and is not counted", async () => {
    fake.failEvery(2);
    const send = async (text: string) => (await api("sendMessage", { chat_id: 1, text })).status;
    expect([await send("m0"), await send("m1"), await send("m1"), await send("m2"), await send("m3")]).toEqual([200, 429, 200, 200, 429]);
  });
});

describe("webhook mode", () => {
  let receiver: Server | undefined;
  afterEach(async () => {
    receiver?.closeAllConnections();
    await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
    receiver = undefined;
  });

  async function listen(server: Server): Promise<string> {
    receiver = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  it("POSTs updates with the secret header and re-delivers after a 500", async () => {
    const seen: { headers: IncomingHttpHeaders; update: Update }[] = [];
    const url = await listen(
      createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          seen.push({ headers: req.headers, update: JSON.parse(body) as Update });
          res.statusCode = seen.length === 1 ? 500 : 200;
          res.end();
        });
      }),
    );
    expect((await api("setWebhook", { url, secret_token: "s3cret" })).json.result).toBe(true);
    const id = fake.sendText(alice, "via webhook");
    await expect.poll(() => fake.pendingUpdates()).toBe(0);
    expect(seen.map((s) => s.update.update_id)).toEqual([id, id]);
    expect(seen[0]!.headers["x-telegram-bot-api-secret-token"]).toBe("s3cret");
    expect(fake.deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    const info = (await api("getWebhookInfo")).json.result;
    expect(info).toMatchObject({
      url,
      pending_update_count: 0,
      last_error_message: "Wrong response from the webhook: 500 Internal Server Error",
    });

    const poll = await api("getUpdates");
    expect(poll.status).toBe(409);
    expect(poll.json.description).toContain("webhook is active");

    await api("deleteWebhook");
    fake.sendText(alice, "back to polling");
    expect((await api("getUpdates")).json.result.map((u: Update) => u.message?.text)).toEqual(["back to polling"]);
  });

  it("drives a grammY webhookCallback, which checks the secret", async () => {
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    bot.on("message:text", (ctx) => ctx.reply(`got ${ctx.msg.text}`));
    const url = await listen(createServer(webhookCallback(bot, "http", { secretToken: "right" })));
    await bot.api.setWebhook(url, { secret_token: "wrong" });
    fake.sendText(alice, "first");
    await expect.poll(() => fake.deliveries.length).toBeGreaterThanOrEqual(2);
    expect(fake.deliveries[0]!.status).toBe(401); // grammY refuses the wrong secret

    await bot.api.setWebhook(url, { secret_token: "right", drop_pending_updates: true });
    fake.sendText(alice, "second");
    expect((await fake.waitForMessage(alice.id)).text).toBe("got second");
  });

  it("drops pending updates on request", async () => {
    fake.sendText(alice, "old");
    await api("deleteWebhook", { drop_pending_updates: true });
    expect(fake.pendingUpdates()).toBe(0);
  });
});

describe("control routes", () => {
  it("lets another process play the user", async () => {
    await startBot((bot) => {
      bot.on("message:text", (ctx) => ctx.reply(`echo ${ctx.msg.text}`, { reply_markup: new InlineKeyboard().text("ok", "ok") }));
      bot.on("message:contact", (ctx) => ctx.reply(`phone ${ctx.msg.contact.phone_number}`));
      bot.callbackQuery("ok", async (ctx) => {
        await ctx.answerCallbackQuery();
        await ctx.editMessageText("confirmed");
      });
    });
    const user = { id: 77, first_name: "Web" };
    expect((await control("/control/text", { user, text: "hello" })).json).toMatchObject({ ok: true, update_id: expect.any(Number) });
    const first = await control("/control/chats/77/messages?after=0&wait=3000");
    expect(first.json.messages.map((m: { text: string }) => m.text)).toEqual(["echo hello"]);
    const messageId = first.json.messages[0].message_id as number;

    await control("/control/contact", { user, contact: { phone_number: "79776200777", first_name: "Web", user_id: 77 } });
    const second = await control(`/control/chats/77/messages?after=${first.json.lastMessageId}&wait=3000`);
    expect(second.json.messages.map((m: { text: string }) => m.text)).toEqual(["phone 79776200777"]);

    expect((await control("/control/callback", { user, chatId: 77, messageId, data: "ok" })).json.ok).toBe(true);
    const edits = await control(`/control/chats/77/messages?since=${second.json.lastSeq}&wait=3000`);
    expect(edits.json.messages).toMatchObject([{ method: "editMessageText", message_id: messageId, text: "confirmed" }]);
    expect((await control("/control/callback", { user, chatId: 77, messageId, data: "nope" })).status).toBe(400);

    const calls = await control("/control/calls?method=sendMessage");
    expect(calls.json.calls).toHaveLength(2);
    expect((await control("/control/chats/77/messages?since=99&wait=100")).json.messages).toEqual([]);
  });
});

describe("close", () => {
  it("ends a pending long poll at once", async () => {
    const poll = api("getUpdates", { timeout: 30 });
    await expect.poll(() => fake.calls.filter((c) => c.method === "getUpdates").length).toBe(1);
    const started = Date.now();
    await fake.close();
    expect((await poll).json).toEqual({ ok: true, result: [] });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("rejects waiters instead of leaving them hanging", async () => {
    const waiting = fake.nextMessage(alice.id, 10_000);
    await fake.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });

  it("lets a polling grammY bot stop cleanly", async () => {
    const bot = await startBot(() => {});
    const started = Date.now();
    await bot.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

/**
 * The yardstick for `npm run bench -- --only load`: a plain grammY bot as anyone would write it in an
 * afternoon (grammY + @grammyjs/runner, ordinary handlers, state in a Map, nothing durable), doing the
 * lead bot's three customer steps with the same Bot API calls: /start (greeting, then the name question
 * with a one-tap name button), the name (the phone question with a "share my number" button), the own
 * contact (the project's phone rule, "typing", POST /main/leads, the lead number). Texts are the
 * Russian locale's, inline. Configured by the lead bot's variables: BOT_TOKEN, TELEGRAM_API_ROOT,
 * BRAINYSOFT_URL, BRAINYSOFT_TOKEN.
 *
 * Run as its own process (`node --import tsx test/bench/reference-bot.ts`); it starts when run.
 */
import { run, sequentialize } from "@grammyjs/runner";
import { Bot, Keyboard } from "grammy";
import { normalizePhone } from "../../src/phone.js";

type ChatState = { step: "name" } | { step: "phone"; name: string };

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const brainysoftUrl = env("BRAINYSOFT_URL");
const brainysoftToken = env("BRAINYSOFT_TOKEN");
const bot = new Bot(env("BOT_TOKEN"), { client: { apiRoot: process.env.TELEGRAM_API_ROOT ?? "https://api.telegram.org" } });
const chats = new Map<number, ChatState>();
const removeKeyboard = { remove_keyboard: true } as const;

async function createLead(firstName: string, mobilePhone: string): Promise<number | undefined> {
  const response = await fetch(`${brainysoftUrl}/main/leads`, {
    method: "POST",
    headers: { "content-type": "application/json", bsauth: brainysoftToken },
    body: JSON.stringify({ firstName, mobilePhone }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as { status?: unknown; data?: unknown };
  return body.status === "ok" && typeof body.data === "number" ? body.data : undefined;
}

bot.use(sequentialize((ctx) => ctx.chatId?.toString()));

bot.command("start", async (ctx) => {
  chats.set(ctx.chat.id, { step: "name" });
  await ctx.reply("Здравствуйте! Я помогу оставить заявку на заём: нужны только имя и номер телефона, это займёт меньше минуты.", {
    reply_markup: removeKeyboard,
  });
  await ctx.reply("Как вас зовут? Напишите имя или нажмите кнопку ниже.", {
    reply_markup: new Keyboard()
      .text(ctx.from?.first_name ?? "")
      .resized()
      .oneTime(),
  });
});

bot.on("message:text", async (ctx) => {
  const state = chats.get(ctx.chat.id);
  if (state?.step !== "name") return;
  const name = ctx.message.text.trim().slice(0, 50);
  chats.set(ctx.chat.id, { step: "phone", name });
  await ctx.reply(
    `Приятно познакомиться, ${name}! Теперь поделитесь номером телефона кнопкой «📱 Поделиться номером» ниже или напишите его, например: +7 977 620-07-77.`,
    {
      reply_markup: new Keyboard().requestContact("📱 Поделиться номером").resized().oneTime(),
    },
  );
});

bot.on("message:contact", async (ctx) => {
  const state = chats.get(ctx.chat.id);
  if (state?.step !== "phone") return;
  const contact = ctx.message.contact;
  if (contact.user_id !== ctx.from.id) return void (await ctx.reply("Это контакт другого человека."));
  const phone = normalizePhone(contact.phone_number, "own-contact", { defaultCountry: "RU" });
  if (!phone.ok) return void (await ctx.reply("Этот номер не подходит."));
  await ctx.replyWithChatAction("typing");
  const leadId = await createLead(state.name, phone.digits);
  chats.delete(ctx.chat.id);
  await ctx.reply(
    leadId === undefined
      ? "Не получилось зарегистрировать заявку, попробуйте позже."
      : `Готово! Ваша заявка № <b>${leadId}</b> принята. Мы позвоним вам по номеру +${phone.digits} в ближайшее время.`,
    { parse_mode: "HTML", reply_markup: removeKeyboard },
  );
});

bot.catch(({ error }) => console.error("update failed:", error));

const runner = run(bot, { runner: { fetch: { allowed_updates: ["message", "callback_query"] } } });
const stop = () => void runner.stop().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

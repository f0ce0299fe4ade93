/**
 * A deterministic storm of hostile Telegram updates for the load test (test/faults/hostile-load.test.ts):
 * 50 users, 1,000 updates, the same ones for the same seed. Each update knows where it lands and what
 * reaches the bot, so the test can say what the bot owes it: an answer in a private chat, the pointer
 * in a group only when addressed, nothing for updates the bot never asked Telegram for.
 */
import type { Chat, Message } from "grammy/types";
import type { FakeTelegram, FakeUser } from "../../src/fakes/fake-telegram.js";

export const HOSTILE_USERS = 50;
export const HOSTILE_UPDATES = 1_000;
/** Users who flood: 15 updates at a human pace, then the rest in one burst. The others stay within the limit. */
export const FLOODERS = 10;
/** The per-user limit the test runs with (production's 15); a burst goes beyond it. */
export const RATE_LIMIT = 15;
/** Typed into every free text, so that the test can tell typed text from anything else in the logs. */
export const TYPED_MARKER = "qzxjv";
/**
 * A customer's phone whose lead the test makes before the storm. The first user types it at the phone
 * question, after a junk command that is a phone and one that is a name, so that those cases happen in
 * every run whatever the timing.
 */
export const VICTIM_PHONE = "79776200900";
const SCRIPTED_START = ["/+79776200777", `/${TYPED_MARKER}_Фридрих_Карлович`, "/start", "Анна", "+7 977 620-09-00"];

const BOT_USERNAME = "fake_test_bot";
const FIRST_USER_ID = 910_001;
/** Group ids kept under 10 digits, so that any 10-digit run in the logs is suspect. */
const GROUPS: Chat[] = [
  { id: -4_001, type: "group", title: "<b>Кредиты</b> & займы" },
  { id: -1_003_001, type: "supergroup", title: "Чат </i> клиентов" },
  { id: -1_003_002, type: "supergroup", title: "\u202Eпуппург" },
];
const CHANNEL: Chat = { id: -1_005_001, type: "channel", title: "<script>Новости</script>" };

/** Where an update lands, and what the bot owes it. */
export type Delivery =
  /** A new message in the sender's private chat: answered unless the rate limit dropped it. */
  | "private-message"
  /** A callback query from a message in the sender's private chat: answered with answerCallbackQuery. */
  | "private-callback"
  /** A callback query from an inline message: no chat at all. */
  | "inline-callback"
  /** A message in a group: the pointer to the private chat when addressed, else nothing. */
  | "group-message"
  /** Edited messages and channel posts: the bot asks Telegram only for messages and callback queries. */
  | "never-delivered";

export interface HostileUpdate {
  /** What it is, for failure messages (never the whole text). */
  label: string;
  delivery: Delivery;
  /** The chat it lands in (undefined for an inline callback query). */
  chatId: number | undefined;
  /** Group messages: a command for this bot (no @ or @this bot) or a mention of it. */
  addressed?: boolean;
  /** Callback queries: the id the bot must answer. */
  callbackId?: string;
  /** Puts the update into the fake's queue; returns its update_id. */
  send(telegram: FakeTelegram): number;
}

export interface HostileUser {
  user: FakeUser;
  flooder: boolean;
  /** When this user starts, from the start of the storm. */
  startAfterMs: number;
  /** Think time before each paced update (a flooder's burst has none): same length as `updates`. */
  pausesMs: number[];
  updates: HostileUpdate[];
}

export interface HostilePlan {
  users: HostileUser[];
  /** Every phone number the storm typed or shared, as digits (country code included). */
  phones: string[];
  groups: number[];
  channel: number;
}

/** mulberry32: small, fast and good enough to pick test data deterministically. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rng {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

function rngOf(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    chance: (p) => next() < p,
  };
}

// ----- Content --------------------------------------------------------------------------------------------

const HOSTILE_NAMES = [
  "<b>Bob</b>",
  "</i>Eve",
  "Tom &amp; Jerry",
  "<script>alert(1)</script>",
  "&lt;b&gt;",
  '<a href="javascript:x">Ян</a>',
  "Zero\u200BWidth",
  "\u202EанвИ",
  "\u2066\u2069",
  "\u200F\u200E",
  "علی‌رضا",
  "שרה",
  "محمد",
  "😀😀😀",
  "👨‍👩‍👧‍👦",
  "Фридрих_Карлович",
  "Z̷̢a̸l̵g̶o̴",
  "a".repeat(64),
  "Анна",
  "Ольга <i>",
  "\u00AD",
  "𝕭𝖔𝖇",
  "Ёжик 🦔",
  "<<<>>>",
];
const MARKUP = [
  "<b>жирный</b>",
  "</i>",
  "<script>alert(1)</script>",
  "Tom &amp; Jerry",
  "a < b && c > d",
  '<a href="javascript:alert(1)">клик</a>',
  "&lt;b&gt;",
  "<tg-spoiler>",
  "<<>>&&;",
  "<pre><code>x</code></pre>",
  "<b><i>не закрыто",
  "\"кавычки\" & 'апостроф'",
  "&#128512; &#x1F600;",
];
const INVISIBLE = [
  "\u200B",
  "\u200C",
  "\u200D",
  "\u2060",
  "\uFEFF",
  "\u00AD",
  "\u200E",
  "\u200F",
  "\u202A",
  "\u202B",
  "\u202C",
  "\u202D",
  "\u202E",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\u061C",
  "\u0000",
  "\u0007",
  "\u001B",
];
const RTL = ["مرحبا، أريد قرضا", "שלום, אני רוצה הלוואה", "علی‌رضا", "سلام دوست", "\u202Eабырк йобюл"];
const EMOJI = ["😀", "🔥🔥🔥", "👍🏽", "🇷🇺🇺🇦", "👨‍👩‍👧‍👦", "❤️", "1️⃣2️⃣3️⃣", "🏳️‍🌈", "🦔", "🤡🤡🤡🤡🤡🤡🤡🤡"];
const PLAIN_NAMES = ["Анна", "Борис", "Фридрих", "John", "Мария-Луиза", "Ёж", "Zoë", "علی"];
const JUNK_COMMANDS = [
  "/+79776200777",
  "/Фридрих_Карлович",
  "/start@other_bot",
  "/start <script>",
  `/start ${"x".repeat(70)}`,
  "/",
  "//",
  "/ start",
  "/start@fake_test_bot",
  "/help@fake_test_bot junk",
  "/cancel",
  "/logs",
  "/stats 999",
  "/export",
  "/pending",
  "/retry 1",
  "/agent_add 910001",
  "/agents",
  "/START",
  "/start\u200B",
  "/хелп",
  "/help",
  "/start spring_promo",
  "/start ../../etc/passwd",
  `/start ${TYPED_MARKER}`,
  "/cancel@other_bot",
  "/1",
  "/_",
  `/${"a".repeat(40)}`,
];
/** Not Russian mobiles, typed as phones: refused with a reason, never a lead. */
const FOREIGN_PHONES = ["380501234567", "77011234567", "12025550143", "88005553535", "74951234567"];
const MOBILE_PREFIXES = ["7916", "7926", "7903", "7985", "7962", "7999"];

/** How people (and copy-paste) write a number: the test checks the logs against every one of them. */
function writtenPhone(rng: Rng, digits: string): string {
  const [cc, a, b, c, d] = [digits.slice(0, 1), digits.slice(1, 4), digits.slice(4, 7), digits.slice(7, 9), digits.slice(9)];
  const variants = [
    `+${cc} ${a} ${b}-${c}-${d}`,
    `8 (${a}) ${b} ${c} ${d}`,
    `${a}${b}${c}${d}`,
    `+${digits}`,
    `8-${a}-${b}-${c}-${d}`,
    `+${cc}\u200B${a}\u200B${b}${c}${d}`,
    `\u200E+${cc} ${a} ${b} ${c} ${d}\u200F`,
    `Иван 8${a}${b}${c}${d}`,
    `tel:+${digits}`,
    `+${cc} ${a} ${b} ${c} ${d} звоните ${TYPED_MARKER}`,
    `８${[...`${a}${b}${c}${d}`].map((ch) => String.fromCharCode(0xff10 + Number(ch))).join("")}`,
    `${[...digits].map((ch) => String.fromCharCode(0x0660 + Number(ch))).join("")}`,
    `${digits} ${digits}`,
  ];
  return rng.pick(variants);
}

/** Exactly 4096 UTF-16 units (Telegram's limit for a message), of the given pieces, never cutting a pair in two. */
function longText(rng: Rng, pieces: readonly string[]): string {
  let text = `${TYPED_MARKER} `;
  for (;;) {
    const piece = `${rng.pick(pieces)} `;
    if (text.length + piece.length > 4096) break;
    text += piece;
  }
  return text.padEnd(4096, "я");
}

// ----- Updates --------------------------------------------------------------------------------------------

interface Context {
  rng: Rng;
  self: HostileUser;
  everyone: HostileUser[];
  phones: string[];
  /** The phone only this user shares as their own contact. */
  ownPhone: string;
  nextRawId: () => number;
  nextCallbackId: () => number;
}

const privateChat = (user: FakeUser): Chat => ({ id: user.id, type: "private", first_name: user.first_name });

const fromOf = (user: FakeUser) => ({
  id: user.id,
  is_bot: false,
  first_name: user.first_name,
  ...(user.language_code ? { language_code: user.language_code } : {}),
});

function text(label: string, user: FakeUser, value: string): HostileUpdate {
  return { label, delivery: "private-message", chatId: user.id, send: (tg) => tg.sendText(user, value) };
}

/** A private text of some hostile kind. */
function hostileText(ctx: Context): HostileUpdate {
  const { rng, self, phones } = ctx;
  const user = self.user;
  const other = () => rng.pick(phones);
  const kinds: Array<[number, () => HostileUpdate]> = [
    [10, () => text("/start", user, "/start")],
    [6, () => text("a plain name", user, rng.pick(PLAIN_NAMES))],
    [8, () => text("markup", user, `${rng.pick(MARKUP)} ${TYPED_MARKER} ${rng.pick(MARKUP)}`)],
    [4, () => text("markup as a name", user, rng.pick(HOSTILE_NAMES))],
    [5, () => text("4096 characters of markup", user, longText(rng, MARKUP))],
    [3, () => text("4096 characters of phones", user, longText(rng, [writtenPhone(rng, other()), writtenPhone(rng, other())]))],
    [3, () => text("4096 characters of RTL and emoji", user, longText(rng, [...RTL, ...EMOJI]))],
    [5, () => text("invisible characters", user, Array.from({ length: rng.int(1, 12) }, () => rng.pick(INVISIBLE)).join(""))],
    [4, () => text("a name in invisible characters", user, `${rng.pick(INVISIBLE)}Ан${rng.pick(INVISIBLE)}на${rng.pick(INVISIBLE)}`)],
    [4, () => text("RTL", user, `${rng.pick(RTL)} ${TYPED_MARKER}`)],
    [4, () => text("emoji only", user, Array.from({ length: rng.int(1, 6) }, () => rng.pick(EMOJI)).join(""))],
    [9, () => text("a junk command", user, rng.pick(JUNK_COMMANDS))],
    [10, () => text("someone else's phone", user, writtenPhone(rng, other()))],
    [3, () => text("a foreign phone", user, writtenPhone(rng, rng.pick(FOREIGN_PHONES)))],
    [2, () => text("/help", user, "/help")],
    [1, () => text("/cancel", user, "/cancel")],
  ];
  const total = kinds.reduce((sum, [weight]) => sum + weight, 0);
  let roll = rng.next() * total;
  for (const [weight, make] of kinds) {
    roll -= weight;
    if (roll < 0) return make();
  }
  return text("/start", user, "/start");
}

function rawPrivateMessage(ctx: Context, label: string, content: Partial<Message>): HostileUpdate {
  const user = ctx.self.user;
  const messageId = ctx.nextRawId();
  return {
    label,
    delivery: "private-message",
    chatId: user.id,
    send: (tg) =>
      tg.injectRaw({ message: { message_id: messageId, from: fromOf(user), chat: privateChat(user), date: nowSeconds(), ...content } }),
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function location(ctx: Context): HostileUpdate {
  const { rng } = ctx;
  const spot = rng.pick([
    { latitude: 55.7558, longitude: 37.6173 },
    { latitude: 90, longitude: 180 },
    { latitude: -90, longitude: -180 },
    { latitude: 0, longitude: 0, horizontal_accuracy: 1500 },
    { latitude: 59.9386, longitude: 30.3141, live_period: 86_400, heading: 360 },
  ]);
  if (rng.chance(0.3)) {
    return rawPrivateMessage(ctx, "a venue", {
      location: spot,
      venue: { location: spot, title: `<b>${TYPED_MARKER}</b>`, address: rng.pick(MARKUP) },
    } as Partial<Message>); // a venue message also carries its location, which the Message type's union does not express
  }
  return rawPrivateMessage(ctx, "a location", { location: spot });
}

/** A contact card: someone else's (by user_id or none), or now and then the user's own. */
function contact(ctx: Context): HostileUpdate {
  const { rng, self, everyone } = ctx;
  const user = self.user;
  const roll = rng.next();
  if (roll < 0.2) {
    const card = { phone_number: rng.pick([ctx.ownPhone, `+${ctx.ownPhone}`]), first_name: user.first_name, user_id: user.id };
    return { label: "their own contact", delivery: "private-message", chatId: user.id, send: (tg) => tg.sendContact(user, card) };
  }
  const other = rng.pick(everyone).user;
  const card = {
    phone_number: rng.pick([writtenPhone(rng, rng.pick(ctx.phones)), rng.pick(ctx.phones), `+${rng.pick(FOREIGN_PHONES)}`]),
    first_name: rng.pick(HOSTILE_NAMES),
    ...(rng.chance(0.5) ? { last_name: rng.pick(MARKUP) } : {}),
    ...(roll < 0.6 ? { user_id: other.id === user.id ? other.id + 1 : other.id } : {}),
    ...(rng.chance(0.3) ? { vcard: `BEGIN:VCARD\nVERSION:3.0\nFN:${rng.pick(MARKUP)}\nTEL:+${rng.pick(ctx.phones)}\nEND:VCARD` } : {}),
  };
  return { label: "someone else's contact", delivery: "private-message", chatId: user.id, send: (tg) => tg.sendContact(user, card) };
}

/** Data no button of the bot carries, or that only an admin's does: random, too long, or naming other people's things. */
function forgedData(rng: Rng, everyone: HostileUser[]): string {
  const printable = () => String.fromCharCode(rng.int(0x21, 0x7e));
  return rng.pick([
    () => Array.from({ length: rng.int(1, 64) }, printable).join(""),
    () => "x".repeat(rng.int(65, 300)),
    () => "ж".repeat(rng.int(33, 100)),
    () => "consent:yes",
    () => "retry:all",
    () => "logs:10:0:all",
    () => `logs:999:999:a${rng.pick(everyone).user.id}`,
    () => `lead:${rng.int(1000, 1100)}:${rng.pick(everyone).user.id}`,
    () => JSON.stringify({ lead: rng.int(1000, 1100), chat: rng.pick(everyone).user.id }),
    () => `<b>${TYPED_MARKER}</b>`,
    () => rng.pick(EMOJI).repeat(rng.int(1, 30)),
    () => `+${rng.pick(FOREIGN_PHONES)}`,
  ])();
}

function callback(ctx: Context, inline: boolean): HostileUpdate {
  const { rng, self, everyone } = ctx;
  const user = self.user;
  const data = forgedData(rng, everyone);
  const id = `forged-${ctx.nextCallbackId()}-${user.id}`;
  // Message ids count per chat, so another person's message id is just a number the bot may not know here.
  const messageId = rng.pick([1, 2, 3, rng.int(4, 400), 2_147_483_647]);
  const withData = rng.chance(0.9) ? { data } : { game_short_name: TYPED_MARKER };
  if (inline) {
    return {
      label: "a forged callback query from an inline message",
      delivery: "inline-callback",
      chatId: undefined,
      callbackId: id,
      send: (tg) =>
        tg.injectRaw({
          callback_query: {
            id,
            from: fromOf(user),
            chat_instance: `forged-${user.id}`,
            inline_message_id: `AAAA${TYPED_MARKER}`,
            ...withData,
          },
        }),
    };
  }
  return {
    label: "a forged callback query",
    delivery: "private-callback",
    chatId: user.id,
    callbackId: id,
    send: (tg) =>
      tg.injectRaw({
        callback_query: {
          id,
          from: fromOf(user),
          chat_instance: `ci${user.id}`,
          message: { message_id: messageId, from: { ...tg.botUser }, chat: privateChat(user), date: nowSeconds(), text: "…" },
          ...withData,
        },
      }),
  };
}

const commandFor = /^\/[A-Za-z0-9_]{1,32}(?:@([A-Za-z0-9_]{3,32}))?(?![A-Za-z0-9_@])/;

/** A command Telegram would mark as one (Latin letters, digits, _) for no other bot, or an @mention of the bot. */
function addressesBot(value: string): boolean {
  const command = commandFor.exec(value);
  if (command && (command[1] === undefined || command[1].toLowerCase() === BOT_USERNAME)) return true;
  return value.toLowerCase().includes(`@${BOT_USERNAME}`);
}

function groupMessage(ctx: Context): HostileUpdate {
  const { rng, self, phones } = ctx;
  const user = self.user;
  const group = rng.pick(GROUPS);
  const opts = { chatId: group.id, chatType: group.type === "group" ? ("group" as const) : ("supergroup" as const) };
  const roll = rng.next();
  if (roll < 0.1)
    return {
      label: "a sticker in a group",
      delivery: "group-message",
      chatId: group.id,
      addressed: false,
      send: (tg) => tg.sendSticker(user, opts),
    };
  if (roll < 0.2) {
    const card = { phone_number: rng.pick(phones), first_name: rng.pick(HOSTILE_NAMES), user_id: user.id };
    return {
      label: "a contact in a group",
      delivery: "group-message",
      chatId: group.id,
      addressed: false,
      send: (tg) => tg.sendContact(user, card, opts),
    };
  }
  const value = rng.pick([
    () => "/start",
    () => `/start@${BOT_USERNAME}`,
    () => "/help",
    () => rng.pick(JUNK_COMMANDS),
    () => `@${BOT_USERNAME} ${rng.pick(MARKUP)}`,
    () => `@${BOT_USERNAME.toUpperCase()} мой номер ${writtenPhone(rng, rng.pick(phones))}`,
    () => writtenPhone(rng, rng.pick(phones)),
    () => `${rng.pick(MARKUP)} ${TYPED_MARKER}`,
    () => longText(rng, MARKUP),
    () => rng.pick(EMOJI),
  ])();
  return {
    label: `a group text ${JSON.stringify(value.slice(0, 30))}`,
    delivery: "group-message",
    chatId: group.id,
    addressed: addressesBot(value),
    send: (tg) => tg.sendText(user, value, opts),
  };
}

function neverDelivered(ctx: Context): HostileUpdate {
  const { rng, self } = ctx;
  const user = self.user;
  const messageId = ctx.nextRawId();
  const value = rng.chance(0.5) ? writtenPhone(rng, rng.pick(ctx.phones)) : `${rng.pick(MARKUP)} ${TYPED_MARKER}`;
  const roll = rng.next();
  if (roll < 0.4) {
    return {
      label: "an edited private message",
      delivery: "never-delivered",
      chatId: user.id,
      send: (tg) =>
        tg.injectRaw({
          edited_message: {
            message_id: messageId,
            from: fromOf(user),
            chat: privateChat(user),
            date: nowSeconds() - 60,
            edit_date: nowSeconds(),
            text: value,
          },
        }),
    };
  }
  if (roll < 0.6) {
    const group = rng.pick(GROUPS);
    return {
      label: "an edited group message",
      delivery: "never-delivered",
      chatId: group.id,
      send: (tg) =>
        tg.injectRaw({
          edited_message: {
            message_id: messageId,
            from: fromOf(user),
            chat: group,
            date: nowSeconds() - 60,
            edit_date: nowSeconds(),
            text: `/start ${value}`,
          },
        }),
    };
  }
  const post = { message_id: messageId, sender_chat: CHANNEL, chat: CHANNEL, date: nowSeconds(), text: `/start@${BOT_USERNAME} ${value}` };
  return roll < 0.85
    ? { label: "a channel post", delivery: "never-delivered", chatId: CHANNEL.id, send: (tg) => tg.injectRaw({ channel_post: post }) }
    : {
        label: "an edited channel post",
        delivery: "never-delivered",
        chatId: CHANNEL.id,
        send: (tg) => tg.injectRaw({ edited_channel_post: { ...post, edit_date: nowSeconds() } }),
      };
}

/** One private update of any kind a chat can carry (no group, no inline callback: those would leave the chat's order). */
function privateUpdate(ctx: Context): HostileUpdate {
  const { rng } = ctx;
  const user = ctx.self.user;
  const roll = rng.next();
  if (roll < 0.6) return hostileText(ctx);
  if (roll < 0.68) return callback(ctx, false);
  if (roll < 0.74) return contact(ctx);
  if (roll < 0.8) return { label: "a sticker", delivery: "private-message", chatId: user.id, send: (tg) => tg.sendSticker(user) };
  if (roll < 0.86) return { label: "a photo", delivery: "private-message", chatId: user.id, send: (tg) => tg.sendPhoto(user) };
  if (roll < 0.9) return { label: "a voice message", delivery: "private-message", chatId: user.id, send: (tg) => tg.sendVoice(user) };
  if (roll < 0.95) return location(ctx);
  if (roll < 0.97) return rawPrivateMessage(ctx, "a dice", { dice: { emoji: "🎲", value: 7 } });
  return rawPrivateMessage(ctx, "a forwarded text", {
    text: `${rng.pick(MARKUP)} ${TYPED_MARKER}`,
    forward_origin: { type: "hidden_user", sender_user_name: rng.pick(HOSTILE_NAMES), date: nowSeconds() - 3600 },
  });
}

function randomPhone(rng: Rng): string {
  return `${rng.pick(MOBILE_PREFIXES)}${String(rng.int(0, 9_999_999)).padStart(7, "0")}`;
}

/**
 * The storm: 50 users, 1,000 updates. The first 40 stay within the rate limit (at most 15 updates reach
 * the bot each; their edits and channel posts never do); the last 10 flood: 15 updates, then a burst.
 */
export function hostilePlan(seed: number): HostilePlan {
  const rng = rngOf(seed);
  const phones = Array.from({ length: 60 }, () => randomPhone(rng));
  const users: HostileUser[] = Array.from({ length: HOSTILE_USERS }, (_, i) => ({
    user: {
      id: FIRST_USER_ID + i,
      first_name: rng.pick(HOSTILE_NAMES),
      ...(rng.chance(0.4) ? { last_name: rng.pick(MARKUP) } : {}),
      ...(rng.chance(0.3) ? { username: `u${TYPED_MARKER}${i}` } : {}),
      language_code: rng.pick(["ru", "en", "ar", "he", "zz"]),
    },
    flooder: i >= HOSTILE_USERS - FLOODERS,
    startAfterMs: 0,
    pausesMs: [],
    updates: [],
  }));
  const ownPhones = users.map(() => randomPhone(rng));
  let rawId = 1_000_000;
  let callbackId = 0;
  const regular = users.filter((u) => !u.flooder);
  const flooders = users.filter((u) => u.flooder);
  // 640 updates from the regular users (16 each), 360 from the flooders (36 each): 1,000.
  const perRegular = 16;
  const perFlooder = (HOSTILE_UPDATES - perRegular * regular.length) / flooders.length;
  for (const [i, self] of users.entries()) {
    const ctx: Context = {
      rng,
      self,
      everyone: users,
      phones,
      ownPhone: ownPhones[i] ?? phones[0] ?? "",
      nextRawId: () => rawId++,
      nextCallbackId: () => ++callbackId,
    };
    if (self.flooder) {
      // Early in the storm: quick answers first, then the burst (which the test releases for all flooders at once).
      self.startAfterMs = rng.int(500, 5_000);
      for (let n = 0; n < perFlooder; n++) {
        self.updates.push(privateUpdate(ctx));
        self.pausesMs.push(n < RATE_LIMIT ? rng.int(30, 300) : 0);
      }
      continue;
    }
    // People typing: the storm arrives at a rate of its own, not as fast as the bot answers (see the test).
    self.startAfterMs = rng.int(0, 3_000);
    while (self.pausesMs.length < perRegular) self.pausesMs.push(rng.int(200, 1_400));
    if (i === 0) {
      for (const value of SCRIPTED_START) self.updates.push(text(`scripted ${JSON.stringify(value.slice(0, 3))}…`, self.user, value));
    }
    // 1-3 of the 16 never reach the bot, so that at most 15 do: this user is never rate limited.
    const undelivered = rng.int(1, 3);
    const slots = new Set<number>();
    while (slots.size < undelivered) slots.add(rng.int(self.updates.length, perRegular - 1));
    for (let n = self.updates.length; n < perRegular; n++) {
      if (slots.has(n)) self.updates.push(neverDelivered(ctx));
      else if (rng.chance(0.15)) self.updates.push(groupMessage(ctx));
      else if (rng.chance(0.04)) self.updates.push(callback(ctx, true));
      else self.updates.push(privateUpdate(ctx));
    }
  }
  return {
    users,
    phones: [...phones, ...ownPhones, ...FOREIGN_PHONES, VICTIM_PHONE, "79776200777"],
    groups: GROUPS.map((g) => g.id),
    channel: CHANNEL.id,
  };
}

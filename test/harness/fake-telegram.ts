/**
 * A fake Telegram Bot API server over real HTTP on 127.0.0.1, for the real grammY bot
 * (`new Bot(token, { client: { apiRoot: fake.apiRoot } })`). Pointing the bot at a server, rather than
 * mocking `bot.api`, also reaches the `Api` instances that @grammyjs/conversations builds for itself.
 *
 * It keeps Telegram's behaviour where bots get it wrong: getUpdates confirms by `offset` and long-polls,
 * a second poller gets 409, webhooks are re-sent until answered 2xx, HTML is parsed like Telegram's
 * (so escaping bugs fail), editing to the same content fails, and editing text without `reply_markup`
 * removes the inline keyboard. Used by end-to-end tests, the browser sandbox (through the HTTP control
 * routes in fake-telegram-control.ts) and benchmarks.
 *
 * Reading what the bot sent:
 * - `sent(chatId)`: every record so far, in order (sends, edits, deletions).
 * - `nextMessage(chatId)`: the next record this caller has not read yet (a per-chat read cursor), waiting
 *   if there is none. Use it for step-by-step dialogues: it never skips or re-reads a record.
 * - `waitForMessage(chatId, predicate)`: the first record of the whole chat history that matches,
 *   waiting for one if none does yet. It cannot miss a message sent before the call; it ignores the cursor.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Chat, Message, MessageEntity, Update, User } from "grammy/types";
import { handleControlRequest } from "./fake-telegram-control.js";
import { parseTelegramHtml, TelegramHtmlError } from "./fake-telegram-html.js";
import { MultipartError, parseMultipart, type MultipartFile } from "./fake-telegram-multipart.js";

// ---------------------------------------------------------------------------------------------------------
// Public types

export interface FakeUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface SentFile {
  filename?: string;
  size: number;
  /** The uploaded bytes (absent when the bot passed a file_id or URL instead of uploading). */
  content?: Buffer;
  /** The string the bot passed instead of a file (file_id or URL). */
  file_id?: string;
  mime_type?: string;
}

/**
 * One thing the bot did to a chat's messages. Send records are live: an edit or deletion updates the
 * original record (text, reply_markup, `editedAt`, `deleted`) and is also appended as its own record.
 */
export interface SentMessage {
  /** 1-based position in this chat's record list; the `since` cursor of the control route. */
  seq: number;
  message_id: number;
  chat_id: number;
  /** sendMessage, sendDocument, sendPhoto, editMessageText, editMessageReplyMarkup, deleteMessage. */
  method: string;
  /** Text as the bot sent it, markup included (`<b>Hi</b>`). */
  text?: string;
  /** Text or caption as the user sees it: HTML parsed, references decoded. */
  plainText?: string;
  caption?: string;
  parse_mode?: string;
  // The tests dig into keyboards freely (`m.reply_markup.inline_keyboard[0][0]`); a union type would only get in the way.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  reply_markup?: any;
  document?: SentFile;
  editedAt?: number;
  deleted?: boolean;
  /** The request parameters as received. */
  raw: Record<string, unknown>;
  at: number;
}

export interface FakeApiError {
  code: number;
  description: string;
  retry_after?: number;
}

/** An API error to answer, or "network": the connection is dropped without an answer. */
export type FakeFailure = FakeApiError | "network";

export interface ApiCall {
  method: string;
  body: Record<string, unknown>;
  at: number;
  /** Set when the call was answered with an error (code 0 for a dropped connection). */
  error?: { code: number; description: string };
}

export interface WebhookDelivery {
  update_id: number;
  attempt: number;
  /** HTTP status of the webhook's answer; absent on a network error or timeout. */
  status?: number;
  error?: string;
  at: number;
}

export interface MessageOptions {
  /** Defaults to the user's id (their private chat). */
  chatId?: number;
  /** Defaults to "private", or "supergroup" for a negative chatId. */
  chatType?: "private" | "group" | "supergroup";
  /** Marks the message as forwarded from this user (`forward_origin`). */
  forwardFrom?: FakeUser;
}

export interface FakeTelegram {
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly apiRoot: string;
  readonly token: string;
  readonly botUser: User;

  sendText(user: FakeUser, text: string, opts?: MessageOptions): number;
  sendContact(
    user: FakeUser,
    contact: { phone_number: string; first_name: string; last_name?: string; user_id?: number; vcard?: string },
    opts?: MessageOptions,
  ): number;
  sendSticker(user: FakeUser, opts?: MessageOptions): number;
  sendPhoto(user: FakeUser, opts?: MessageOptions): number;
  sendVoice(user: FakeUser, opts?: MessageOptions): number;
  /** Presses an inline button the message currently shows; throws if it shows no button with that data. */
  pressButton(user: FakeUser, message: Pick<SentMessage, "chat_id" | "message_id">, callbackData: string): number;
  /** Queues an update as given; assigns update_id if missing. An explicit update_id the bot already
   * confirmed is still delivered once, so repeated updates can be tested in polling mode too. A
   * callback query's id may then be answered once, as one Telegram made (its data may be forged). */
  injectRaw(update: Record<string, unknown>): number;

  sent(chatId: number): SentMessage[];
  /** Records after the read cursor of nextMessage, without moving it. */
  unread(chatId: number): SentMessage[];
  nextMessage(chatId: number, timeoutMs?: number): Promise<SentMessage>;
  waitForMessage(chatId: number, predicate?: (m: SentMessage) => boolean, timeoutMs?: number): Promise<SentMessage>;
  chatActions(chatId: number): string[];
  /** Commands set with setMyCommands for that scope (default scope when omitted) and language. */
  commands(scope?: Record<string, unknown>, languageCode?: string): { command: string; description: string }[];

  readonly calls: ApiCall[];
  readonly deliveries: WebhookDelivery[];

  failNext(method: string, error: FakeFailure, times?: number): void;
  failEvery(n: number, error?: FakeFailure): void;
  pendingUpdates(): number;
  close(): Promise<void>;
}

export interface FakeTelegramOptions {
  token?: string;
  botUser?: Partial<FakeUser> & { username?: string };
  /** Pause before re-sending an update the webhook did not accept (default 200 ms). */
  webhookRetryDelayMs?: number;
  /** Attempts per update before it is dropped (default 5). */
  webhookMaxAttempts?: number;
  /** How long a webhook may take to answer (default 10 000 ms). */
  webhookTimeoutMs?: number;
  /** Default timeout of nextMessage and waitForMessage (default 3000 ms). */
  waitTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Internals

type Params = Record<string, unknown>;

/** An error answer of the Bot API; thrown by method handlers. */
class ApiFailure extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const bad = (what: string) => new ApiFailure(400, `Bad Request: ${what}`);

interface QueuedUpdate {
  update: Update;
  delivered: boolean;
  /** Injected with an update_id the bot had already confirmed: exempt from offset confirmation once. */
  replay: boolean;
  attempts: number;
}

interface StoredMessage {
  fromBot: boolean;
  message: Message;
  record?: SentMessage;
  deleted: boolean;
}

interface Waiter {
  /** "next" takes the record at the read cursor; "match" takes the first new record the predicate accepts. */
  kind: "next" | "match";
  predicate: (m: SentMessage) => boolean;
  resolve: (m: SentMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface ChatState {
  chat: Chat;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  log: SentMessage[];
  actions: string[];
  /** Index into `log` of the first record nextMessage has not returned yet. */
  cursor: number;
  waiters: Waiter[];
}

interface HeldPoll {
  res: ServerResponse;
  limit: number;
  timer: ReturnType<typeof setTimeout>;
  call: ApiCall;
}

interface WebhookState {
  url: string;
  secretToken?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

/** Update types Telegram only sends when asked for explicitly in allowed_updates. */
const OPT_IN_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

const CHAT_ACTIONS = new Set([
  "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
  "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
]);

const INLINE_BUTTON_ACTIONS = [
  "callback_data", "url", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
];

const MAX_BODY_BYTES = 60 * 1024 * 1024;

/** Method names are case-insensitive in the Bot API. */
const METHODS = [
  "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage", "sendChatAction",
  "setMyCommands", "getMyCommands", "deleteMyCommands", "editMessageText", "editMessageReplyMarkup",
  "answerCallbackQuery", "sendDocument", "sendPhoto", "deleteMessage",
] as const;
type MethodName = (typeof METHODS)[number];
const METHOD_BY_LOWER = new Map<string, MethodName>(METHODS.map((m) => [m.toLowerCase(), m]));

const unixNow = () => Math.floor(Date.now() / 1000);

/** JSON with sorted keys, so that equal keyboards compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function toUser(u: FakeUser): User {
  const user: User = { id: u.id, is_bot: false, first_name: u.first_name };
  if (u.last_name !== undefined) user.last_name = u.last_name;
  if (u.username !== undefined) user.username = u.username;
  if (u.language_code !== undefined) user.language_code = u.language_code;
  return user;
}

// Parameters arrive as JSON values, or as strings from multipart, urlencoded or query-string requests.

function intParam(p: Params, key: string): number | undefined {
  const v = p[key];
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

function strParam(p: Params, key: string): string | undefined {
  const v = p[key];
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function boolParam(p: Params, key: string): boolean {
  const v = p[key];
  return v === true || v === "true" || v === "1" || v === 1;
}

function jsonParam(p: Params, key: string, errorText: string): unknown {
  const v = p[key];
  if (typeof v !== "string") return v ?? undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw bad(errorText);
  }
}

function requireChatId(p: Params): number {
  if (p.chat_id === undefined || p.chat_id === null || p.chat_id === "") throw bad("chat_id is empty");
  const id = intParam(p, "chat_id");
  // "@channelname" and other non-numeric ids: the fake knows no public usernames.
  if (id === undefined) throw bad("chat not found");
  return id;
}

function checkReplyMarkup(markup: unknown): void {
  if (markup === undefined || markup === null) return;
  if (typeof markup !== "object") throw bad("can't parse reply keyboard markup JSON object");
  const rows = (markup as { inline_keyboard?: unknown }).inline_keyboard;
  if (rows === undefined) return;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) throw bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
  for (const row of rows as unknown[][]) {
    for (const button of row) {
      if (!button || typeof button !== "object") throw bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
      const b = button as Record<string, unknown>;
      if (typeof b.text !== "string") throw bad("can't parse inline keyboard button: Field \"text\" must be of type String");
      if (!INLINE_BUTTON_ACTIONS.some((k) => k in b)) throw bad("text buttons are unallowed in the inline keyboard");
      // Telegram allows 1-64 bytes of callback data; longer data is a classic bug that only shows in production.
      if ("callback_data" in b) {
        const size = typeof b.callback_data === "string" ? Buffer.byteLength(b.callback_data) : 0;
        if (size < 1 || size > 64) throw bad("BUTTON_DATA_INVALID");
      }
    }
  }
}

/** Applies parse_mode like Telegram; returns what the user sees. */
function formatText(raw: string, parseMode: string | undefined, entities: unknown): { plain: string; entities?: MessageEntity[] } {
  if (!parseMode) return Array.isArray(entities) ? { plain: raw, entities: entities as MessageEntity[] } : { plain: raw };
  switch (parseMode.toLowerCase()) {
    case "html":
      try {
        const parsed = parseTelegramHtml(raw);
        return parsed.entities.length ? { plain: parsed.text, entities: parsed.entities } : { plain: parsed.text };
      } catch (e) {
        if (e instanceof TelegramHtmlError) throw bad(`can't parse entities: ${e.message}`);
        throw e;
      }
    case "markdown":
    case "markdownv2":
      // Accepted as is: the fake does not check Markdown.
      return { plain: raw };
    default:
      throw bad("unsupported parse_mode");
  }
}

function describeRecord(m: SentMessage): string {
  const content = m.text ?? m.caption ?? (m.document ? `[file ${m.document.filename ?? m.document.file_id ?? "?"}]` : "");
  const shown = content.length > 120 ? `${content.slice(0, 117)}...` : content;
  const keyboard = m.reply_markup ? " +keyboard" : "";
  return `  #${m.seq} ${m.method} message_id=${m.message_id} ${JSON.stringify(shown)}${keyboard}`;
}

function writeJson(res: ServerResponse, status: number, payload: unknown, closeConnection = false): void {
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(payload);
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  };
  if (closeConnection) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(body);
}

function errorPayload(e: ApiFailure) {
  return {
    ok: false,
    error_code: e.code,
    description: e.description,
    ...(e.retryAfter !== undefined ? { parameters: { retry_after: e.retryAfter } } : {}),
  };
}

function failureToApiFailure(f: FakeApiError): ApiFailure {
  const description = f.description || (f.code === 429 ? `Too Many Requests: retry after ${f.retry_after ?? 1}` : "Error");
  // A 429 without retry_after would be unlike Telegram and stall auto-retry logic oddly: default to 1 s.
  const retryAfter = f.retry_after ?? (f.code === 429 ? 1 : undefined);
  return new ApiFailure(f.code, description, retryAfter);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiFailure(413, "Request Entity Too Large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readParams(req: IncomingMessage, url: URL): Promise<{ params: Params; files: Map<string, MultipartFile> }> {
  const params: Params = Object.fromEntries(url.searchParams);
  let files = new Map<string, MultipartFile>();
  const body = await readBody(req);
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (body.length === 0) return { params, files };
  if (type.startsWith("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw bad("invalid JSON in request body");
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw bad("request body must be a JSON object");
    Object.assign(params, parsed);
  } else if (type.startsWith("multipart/form-data")) {
    try {
      const form = parseMultipart(body, req.headers["content-type"] ?? "");
      Object.assign(params, form.fields);
      files = form.files;
    } catch (e) {
      if (e instanceof MultipartError) throw bad(e.message);
      throw e;
    }
  } else if (type.startsWith("application/x-www-form-urlencoded")) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString("utf8"))));
  }
  return { params, files };
}

/** The request parameters as recorded in `calls`: uploaded files summarised instead of "attach://…". */
function describeParams(params: Params, files: Map<string, MultipartFile>): Params {
  if (files.size === 0) return params;
  const out: Params = {};
  for (const [key, value] of Object.entries(params)) {
    const file = typeof value === "string" && value.startsWith("attach://") ? files.get(value.slice(9)) : undefined;
    out[key] = file ? { filename: file.filename, size: file.data.length } : value;
  }
  for (const [field, file] of files) {
    if (!(field in out) && ![...Object.values(params)].includes(`attach://${field}`)) {
      out[field] = { filename: file.filename, size: file.data.length };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The server

class FakeTelegramServer implements FakeTelegram {
  apiRoot = "";
  readonly token: string;
  readonly botUser: User;
  readonly calls: ApiCall[] = [];
  readonly deliveries: WebhookDelivery[] = [];

  private readonly server: Server;
  private readonly retryDelayMs: number;
  private readonly maxAttempts: number;
  private readonly webhookTimeoutMs: number;
  private readonly waitTimeoutMs: number;

  private queue: QueuedUpdate[] = [];
  private nextUpdateId = 1;
  /** Highest offset a getUpdates call has passed: updates below it count as confirmed. */
  private confirmedOffset = 0;
  private allowedUpdates: string[] | undefined;
  private heldPoll: HeldPoll | undefined;
  private lastPollAt: number | undefined;
  private flushScheduled = false;

  private webhook: WebhookState | undefined;
  private delivering = false;
  private readonly inflightDeliveries = new Set<AbortController>();
  private wakeDeliveryLoop: (() => void) | undefined;

  private readonly chats = new Map<number, ChatState>();
  private readonly myCommands = new Map<string, { command: string; description: string }[]>();
  private readonly openCallbackQueries = new Set<string>();
  private nextCallbackId = 1;
  private nextFileId = 1;

  private failRules: { method: string; failure: FakeFailure; remaining: number }[] = [];
  private periodicFailure: { n: number; failure: FakeFailure; count: number } | undefined;

  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(opts: FakeTelegramOptions) {
    this.token = opts.token ?? "1234567890:FAKE-telegram-token";
    const idFromToken = Number(this.token.split(":")[0]);
    this.botUser = {
      id: opts.botUser?.id ?? (Number.isSafeInteger(idFromToken) && idFromToken > 0 ? idFromToken : 1),
      is_bot: true,
      first_name: opts.botUser?.first_name ?? "Fake Bot",
      username: opts.botUser?.username ?? "fake_test_bot",
    };
    if (opts.botUser?.last_name !== undefined) this.botUser.last_name = opts.botUser.last_name;
    this.retryDelayMs = opts.webhookRetryDelayMs ?? 200;
    this.maxAttempts = opts.webhookMaxAttempts ?? 5;
    this.webhookTimeoutMs = opts.webhookTimeoutMs ?? 10_000;
    this.waitTimeoutMs = opts.waitTimeoutMs ?? 3000;
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        writeJson(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(e)}` });
      });
    });
    // grammY keeps connections alive without an idle limit; a server closing idle sockets after Node's
    // default 5 s can race a request being sent on one ("socket hang up") in slow benchmarks.
    this.server.keepAliveTimeout = 120_000;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.apiRoot = `http://127.0.0.1:${port}`;
  }

  // ----- Injecting updates ------------------------------------------------------------------------------

  sendText(user: FakeUser, text: string, opts: MessageOptions = {}): number {
    const message = this.userMessage(user, opts, { text });
    // Telegram marks a leading /command (optionally /command@botname) as a bot_command entity.
    const command = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])/.exec(text);
    if (command) message.entities = [{ type: "bot_command", offset: 0, length: command[0].length }];
    return this.injectRaw({ message });
  }

  sendContact(
    user: FakeUser,
    contact: { phone_number: string; first_name: string; last_name?: string; user_id?: number; vcard?: string },
    opts: MessageOptions = {},
  ): number {
    return this.injectRaw({ message: this.userMessage(user, opts, { contact: { ...contact } }) });
  }

  sendSticker(user: FakeUser, opts: MessageOptions = {}): number {
    const sticker = {
      ...this.newFile("sticker"), type: "regular" as const, width: 512, height: 512,
      is_animated: false, is_video: false, emoji: "👍", file_size: 24_000,
    };
    return this.injectRaw({ message: this.userMessage(user, opts, { sticker }) });
  }

  sendPhoto(user: FakeUser, opts: MessageOptions = {}): number {
    const base = this.newFile("photo");
    const photo = [
      { file_id: `${base.file_id}-s`, file_unique_id: `${base.file_unique_id}s`, width: 90, height: 90, file_size: 1_500 },
      { file_id: `${base.file_id}-m`, file_unique_id: `${base.file_unique_id}m`, width: 320, height: 320, file_size: 20_000 },
      { file_id: `${base.file_id}-x`, file_unique_id: `${base.file_unique_id}x`, width: 1280, height: 1280, file_size: 150_000 },
    ];
    return this.injectRaw({ message: this.userMessage(user, opts, { photo }) });
  }

  sendVoice(user: FakeUser, opts: MessageOptions = {}): number {
    const voice = { ...this.newFile("voice"), duration: 3, mime_type: "audio/ogg", file_size: 9_000 };
    return this.injectRaw({ message: this.userMessage(user, opts, { voice }) });
  }

  pressButton(user: FakeUser, message: Pick<SentMessage, "chat_id" | "message_id">, callbackData: string): number {
    const stored = this.chats.get(message.chat_id)?.messages.get(message.message_id);
    if (!stored?.fromBot || stored.deleted) {
      throw new Error(`pressButton: chat ${message.chat_id} shows no bot message ${message.message_id}`);
    }
    // Only buttons the message shows now can be pressed (an edit without reply_markup removes them).
    const rows = (stored.message.reply_markup?.inline_keyboard ?? []) as { text: string; callback_data?: string }[][];
    const shown = rows.flat().filter((b) => b.callback_data !== undefined);
    if (!shown.some((b) => b.callback_data === callbackData)) {
      const list = shown.map((b) => `${JSON.stringify(b.text)}=${JSON.stringify(b.callback_data)}`).join(", ") || "none";
      throw new Error(`pressButton: message ${message.message_id} has no button with data ${JSON.stringify(callbackData)}; it shows: ${list}`);
    }
    const id = String(this.nextCallbackId++);
    this.openCallbackQueries.add(id);
    return this.injectRaw({
      callback_query: {
        id,
        from: toUser(user),
        message: structuredClone(stored.message),
        chat_instance: `ci${message.chat_id}`,
        data: callbackData,
      },
    });
  }

  injectRaw(raw: Record<string, unknown>): number {
    const given = raw.update_id;
    let updateId: number;
    let replay = false;
    if (typeof given === "number" && Number.isInteger(given)) {
      updateId = given;
      replay = given < this.confirmedOffset;
      this.nextUpdateId = Math.max(this.nextUpdateId, given + 1);
    } else {
      updateId = this.nextUpdateId++;
    }
    const update = { ...raw, update_id: updateId } as Update;
    // Telegram makes the id of every callback query it delivers, forged data or not: the bot may answer it once.
    const query = update.callback_query;
    if (query && typeof query.id === "string") this.openCallbackQueries.add(query.id);
    this.queue.push({ update, delivered: false, replay, attempts: 0 });
    this.scheduleFlush();
    return updateId;
  }

  pendingUpdates(): number {
    return this.queue.length;
  }

  private userMessage(user: FakeUser, opts: MessageOptions, content: Partial<Message>): Message {
    const chatId = opts.chatId ?? user.id;
    const chatType = opts.chatType ?? (chatId < 0 ? "supergroup" : "private");
    const chat: Chat =
      chatType === "private"
        ? { id: chatId, type: "private", first_name: user.first_name, ...(user.last_name !== undefined ? { last_name: user.last_name } : {}), ...(user.username !== undefined ? { username: user.username } : {}) }
        : { id: chatId, type: chatType, title: `Test ${chatType} ${chatId}` };
    const state = this.chatState(chatId, chat);
    const message = {
      message_id: state.nextMessageId++,
      from: toUser(user),
      chat,
      date: unixNow(),
      ...(opts.forwardFrom ? { forward_origin: { type: "user" as const, date: unixNow() - 60, sender_user: toUser(opts.forwardFrom) } } : {}),
      ...content,
    } as Message;
    state.messages.set(message.message_id, { fromBot: false, message, deleted: false });
    return message;
  }

  private newFile(kind: string): { file_id: string; file_unique_id: string } {
    const n = this.nextFileId++;
    return { file_id: `fake-${kind}-${n}`, file_unique_id: `u-${kind}-${n}` };
  }

  /** The chat's state; `chat` refreshes what is known about it (a user's name may change). */
  private chatState(chatId: number, chat?: Chat): ChatState {
    let state = this.chats.get(chatId);
    if (!state) {
      // A chat the fake never saw (the bot writes first, e.g. to an operators' group): made up from the id.
      const made: Chat = chatId < 0 ? { id: chatId, type: "supergroup", title: `Chat ${chatId}` } : { id: chatId, type: "private", first_name: `User ${chatId}` };
      state = { chat: chat ?? made, nextMessageId: 1, messages: new Map(), log: [], actions: [], cursor: 0, waiters: [] };
      this.chats.set(chatId, state);
    } else if (chat) {
      state.chat = chat;
    }
    return state;
  }

  // ----- Reading what the bot did -------------------------------------------------------------------------

  sent(chatId: number): SentMessage[] {
    return [...(this.chats.get(chatId)?.log ?? [])];
  }

  unread(chatId: number): SentMessage[] {
    const state = this.chats.get(chatId);
    return state ? state.log.slice(state.cursor) : [];
  }

  chatActions(chatId: number): string[] {
    return [...(this.chats.get(chatId)?.actions ?? [])];
  }

  commands(scope: Record<string, unknown> = { type: "default" }, languageCode = ""): { command: string; description: string }[] {
    return [...(this.myCommands.get(`${canonical(scope)}|${languageCode}`) ?? [])];
  }

  nextMessage(chatId: number, timeoutMs = this.waitTimeoutMs): Promise<SentMessage> {
    const state = this.chatState(chatId);
    // Earlier nextMessage calls still waiting come first, so concurrent callers get records in order.
    if (state.cursor < state.log.length && !state.waiters.some((w) => w.kind === "next")) {
      return Promise.resolve(state.log[state.cursor++]!);
    }
    return this.addWaiter(state, chatId, "next", () => true, timeoutMs, `nextMessage(${chatId})`);
  }

  waitForMessage(chatId: number, predicate: (m: SentMessage) => boolean = () => true, timeoutMs = this.waitTimeoutMs): Promise<SentMessage> {
    const state = this.chatState(chatId);
    const found = state.log.find(predicate);
    if (found) return Promise.resolve(found);
    return this.addWaiter(state, chatId, "match", predicate, timeoutMs, `waitForMessage(${chatId})`);
  }

  private addWaiter(
    state: ChatState,
    chatId: number,
    kind: Waiter["kind"],
    predicate: (m: SentMessage) => boolean,
    timeoutMs: number,
    label: string,
  ): Promise<SentMessage> {
    if (this.closing) return Promise.reject(new Error(`${label}: the fake Telegram server is closed`));
    return new Promise<SentMessage>((resolve, reject) => {
      const waiter: Waiter = {
        kind,
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          state.waiters.splice(state.waiters.indexOf(waiter), 1);
          reject(new Error(`${label}: nothing ${kind === "match" ? "matching " : "new "}within ${timeoutMs} ms\n${this.describeChat(chatId)}`));
        }, timeoutMs),
      };
      state.waiters.push(waiter);
    });
  }

  /** Appends a record to the chat and hands it to whoever waits for it. */
  private record(chatId: number, entry: Omit<SentMessage, "seq" | "chat_id" | "at">): SentMessage {
    const state = this.chatState(chatId);
    const record: SentMessage = { seq: state.log.length + 1, chat_id: chatId, at: Date.now(), ...entry };
    state.log.push(record);
    for (const waiter of [...state.waiters]) {
      let taken: SentMessage | undefined;
      let failed: unknown;
      try {
        if (waiter.kind === "next" && state.cursor < state.log.length) taken = state.log[state.cursor++];
        else if (waiter.kind === "match" && waiter.predicate(record)) taken = record;
      } catch (e) {
        // A test's predicate that throws fails that test's wait, not the bot's API call being answered.
        failed = e;
      }
      if (taken || failed !== undefined) {
        clearTimeout(waiter.timer);
        state.waiters.splice(state.waiters.indexOf(waiter), 1);
        if (taken) waiter.resolve(taken);
        else waiter.reject(failed instanceof Error ? failed : new Error(String(failed)));
      }
    }
    return record;
  }

  /** What a timeout error shows: the chat's records, calls for it that failed, and whether the bot polls. */
  private describeChat(chatId: number): string {
    const state = this.chats.get(chatId);
    const lines: string[] = [];
    if (!state || state.log.length === 0) {
      lines.push(`chat ${chatId} received nothing from the bot`);
    } else {
      lines.push(`chat ${chatId} received ${state.log.length} record(s), ${state.log.length - state.cursor} unread by nextMessage:`);
      lines.push(...state.log.map(describeRecord));
    }
    if (state?.actions.length) lines.push(`chat actions: ${state.actions.join(", ")}`);
    const failed = this.calls.filter((c) => c.error && intParam(c.body, "chat_id") === chatId);
    if (failed.length) {
      lines.push("calls for this chat that failed:");
      lines.push(...failed.map((c) => `  ${c.method}: ${c.error!.code} ${c.error!.description}`));
    }
    const mode = this.webhook ? `webhook ${this.webhook.url}` : "polling";
    const lastPoll = this.lastPollAt === undefined ? "never" : `${Date.now() - this.lastPollAt} ms ago`;
    lines.push(`delivery: ${mode}; ${this.queue.length} update(s) pending; last getUpdates: ${lastPoll}`);
    return lines.join("\n");
  }

  // ----- Failure injection ----------------------------------------------------------------------------------

  failNext(method: string, failure: FakeFailure, times = 1): void {
    const name = method === "*" ? "*" : (METHOD_BY_LOWER.get(method.toLowerCase()) ?? method);
    if (times > 0) this.failRules.push({ method: name, failure, remaining: times });
  }

  failEvery(n: number, failure: FakeFailure = { code: 429, description: "Too Many Requests: retry after 1", retry_after: 1 }): void {
    this.periodicFailure = n > 0 ? { n, failure, count: 0 } : undefined;
  }

  /**
   * The failure to answer this call with, if any. "*" and failEvery leave getUpdates alone: a polling
   * bot always has a getUpdates in flight, which would otherwise take the failure meant for a send.
   */
  private takeFailure(method: string): FakeFailure | undefined {
    const index = this.failRules.findIndex((r) => r.method === method || (r.method === "*" && method !== "getUpdates"));
    const rule = this.failRules[index];
    if (rule) {
      if (--rule.remaining <= 0) this.failRules.splice(index, 1);
      return rule.failure;
    }
    const every = this.periodicFailure;
    if (every && method !== "getUpdates" && ++every.count % every.n === 0) return every.failure;
    return undefined;
  }

  // ----- HTTP -------------------------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith("/control/")) {
      await handleControlRequest(this, req, res, url);
      return;
    }
    const route = /^\/bot([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!route) {
      writeJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      return;
    }
    const token = decodeURIComponent(route[1]!);
    const requested = route[2]!;
    const method = METHOD_BY_LOWER.get(requested.toLowerCase());

    let params: Params = {};
    let files = new Map<string, MultipartFile>();
    const call: ApiCall = { method: method ?? requested, body: params, at: Date.now() };
    this.calls.push(call);
    const fail = (e: ApiFailure) => {
      call.error = { code: e.code, description: e.description };
      writeJson(res, e.code, errorPayload(e));
    };

    try {
      ({ params, files } = await readParams(req, url));
      call.body = describeParams(params, files);
      if (token !== this.token) throw new ApiFailure(401, "Unauthorized");
      if (!method) throw new ApiFailure(404, `Not Found: method ${requested} is not supported by the fake`);

      const failure = this.takeFailure(method);
      if (failure === "network") {
        call.error = { code: 0, description: "connection dropped by failNext/failEvery" };
        req.socket.destroy();
        return;
      }
      if (failure) throw failureToApiFailure(failure);

      if (method === "getUpdates") {
        this.getUpdates(params, res, call);
        return;
      }
      writeJson(res, 200, { ok: true, result: this.execute(method, params, files) });
    } catch (e) {
      if (e instanceof ApiFailure) fail(e);
      else throw e;
    }
  }

  /** Runs a method other than getUpdates; throws ApiFailure for error answers. */
  private execute(method: MethodName, p: Params, files: Map<string, MultipartFile>): unknown {
    switch (method) {
      case "getMe":
        return {
          ...this.botUser,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
          can_connect_to_business: false,
          has_main_web_app: false,
        };
      case "getUpdates":
        throw bad("getUpdates cannot be used here");
      case "setWebhook":
        return this.setWebhook(p);
      case "deleteWebhook":
        return this.deleteWebhook(p);
      case "getWebhookInfo":
        return this.webhookInfo();
      case "sendMessage":
        return this.sendMessage(p);
      case "sendChatAction": {
        const chatId = requireChatId(p);
        const action = strParam(p, "action") ?? "";
        if (!CHAT_ACTIONS.has(action)) throw bad("wrong parameter action in request");
        this.chatState(chatId).actions.push(action);
        return true;
      }
      case "setMyCommands": {
        const commands = jsonParam(p, "commands", "can't parse commands JSON object");
        if (!Array.isArray(commands) || commands.length > 100) throw bad("can't parse commands JSON object");
        const list = commands.map((c: unknown) => {
          const { command, description } = (c ?? {}) as { command?: unknown; description?: unknown };
          if (typeof command !== "string" || !/^[a-z0-9_]{1,32}$/.test(command)) throw bad("BOT_COMMAND_INVALID");
          if (typeof description !== "string" || description.length === 0) throw bad("command description is empty");
          return { command, description };
        });
        this.myCommands.set(this.commandsKey(p), list);
        return true;
      }
      case "getMyCommands":
        return this.myCommands.get(this.commandsKey(p)) ?? [];
      case "deleteMyCommands":
        this.myCommands.delete(this.commandsKey(p));
        return true;
      case "editMessageText":
        return this.editMessage(p, "text");
      case "editMessageReplyMarkup":
        return this.editMessage(p, "markup");
      case "answerCallbackQuery": {
        const id = strParam(p, "callback_query_id") ?? "";
        // Telegram accepts one answer per query; a second one, or an unknown id, is this error.
        if (!this.openCallbackQueries.delete(id)) throw bad("query is too old and response timeout expired or query ID is invalid");
        return true;
      }
      case "sendDocument":
        return this.sendFile(p, files, "document");
      case "sendPhoto":
        return this.sendFile(p, files, "photo");
      case "deleteMessage":
        return this.deleteMessage(p);
    }
  }

  private commandsKey(p: Params): string {
    const scope = jsonParam(p, "scope", "can't parse BotCommandScope JSON object") ?? { type: "default" };
    return `${canonical(scope)}|${strParam(p, "language_code") ?? ""}`;
  }

  // ----- Messages ---------------------------------------------------------------------------------------------

  private sendMessage(p: Params): Message {
    const chatId = requireChatId(p);
    const text = strParam(p, "text");
    if (!text) throw bad("message text is empty");
    const parseMode = strParam(p, "parse_mode");
    const formatted = formatText(text, parseMode, jsonParam(p, "entities", "can't parse entities JSON object"));
    if (formatted.plain.trim() === "") throw bad("message must be non-empty");
    if (formatted.plain.length > 4096) throw bad("message is too long");
    const markup = jsonParam(p, "reply_markup", "can't parse reply keyboard markup JSON object");
    checkReplyMarkup(markup);

    const message = this.botMessage(chatId, markup, { text: formatted.plain, ...(formatted.entities ? { entities: formatted.entities } : {}) });
    const record = this.record(chatId, {
      message_id: message.message_id,
      method: "sendMessage",
      text,
      plainText: formatted.plain,
      ...(parseMode !== undefined ? { parse_mode: parseMode } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
      raw: p,
    });
    this.chatState(chatId).messages.get(message.message_id)!.record = record;
    return structuredClone(message);
  }

  private sendFile(p: Params, files: Map<string, MultipartFile>, kind: "document" | "photo"): Message {
    const chatId = requireChatId(p);
    const value = p[kind];
    const attached = typeof value === "string" && value.startsWith("attach://") ? files.get(value.slice(9)) : files.get(kind);
    let file: SentFile;
    if (attached) {
      if (attached.data.length === 0) throw bad("file must be non-empty");
      file = { size: attached.data.length, content: attached.data };
      if (attached.filename !== undefined) file.filename = attached.filename;
      if (attached.contentType !== undefined) file.mime_type = attached.contentType;
    } else if (typeof value === "string" && value !== "" && !value.startsWith("attach://")) {
      file = { file_id: value, size: 0 };
    } else {
      throw bad(`there is no ${kind} in the request`);
    }

    const caption = strParam(p, "caption");
    const parseMode = strParam(p, "parse_mode");
    const formatted = caption !== undefined ? formatText(caption, parseMode, jsonParam(p, "caption_entities", "can't parse entities JSON object")) : undefined;
    if (formatted && formatted.plain.length > 1024) throw bad("message caption is too long");
    const markup = jsonParam(p, "reply_markup", "can't parse reply keyboard markup JSON object");
    checkReplyMarkup(markup);

    const ids = this.newFile(kind);
    const content: Partial<Message> =
      kind === "document"
        ? { document: { ...ids, file_size: file.size, ...(file.filename ? { file_name: file.filename } : {}), ...(file.mime_type ? { mime_type: file.mime_type } : {}) } }
        : { photo: [{ ...ids, width: 320, height: 320, file_size: file.size }] };
    if (formatted) {
      content.caption = formatted.plain;
      if (formatted.entities) content.caption_entities = formatted.entities;
    }
    const message = this.botMessage(chatId, markup, content);
    const record = this.record(chatId, {
      message_id: message.message_id,
      method: kind === "document" ? "sendDocument" : "sendPhoto",
      ...(caption !== undefined ? { caption, plainText: formatted!.plain } : {}),
      ...(parseMode !== undefined ? { parse_mode: parseMode } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
      document: file,
      raw: p,
    });
    this.chatState(chatId).messages.get(message.message_id)!.record = record;
    return structuredClone(message);
  }

  /** Stores a new message from the bot. Only an inline keyboard shows up in the returned Message, as in Telegram. */
  private botMessage(chatId: number, markup: unknown, content: Partial<Message>): Message {
    const state = this.chatState(chatId);
    const message = {
      message_id: state.nextMessageId++,
      from: { ...this.botUser },
      chat: state.chat,
      date: unixNow(),
      ...content,
      ...(markup && typeof markup === "object" && "inline_keyboard" in markup ? { reply_markup: markup } : {}),
    } as Message;
    state.messages.set(message.message_id, { fromBot: true, message, deleted: false });
    return message;
  }

  /** The message a chat_id/message_id pair points to, checked like Telegram checks edits and deletions. */
  private targetMessage(p: Params, notFound: string): { chatId: number; stored: StoredMessage } {
    if (p.inline_message_id !== undefined) throw bad("inline messages are not supported by the fake");
    const chatId = requireChatId(p);
    const messageId = intParam(p, "message_id");
    const stored = messageId === undefined ? undefined : this.chats.get(chatId)?.messages.get(messageId);
    if (!stored || stored.deleted) throw bad(notFound);
    return { chatId, stored };
  }

  private editMessage(p: Params, what: "text" | "markup"): Message {
    const { chatId, stored } = this.targetMessage(p, "message to edit not found");
    if (!stored.fromBot) throw bad("message can't be edited");
    const message = stored.message;
    const markup = jsonParam(p, "reply_markup", "can't parse reply keyboard markup JSON object");
    checkReplyMarkup(markup);
    if (markup !== undefined && !(typeof markup === "object" && markup && "inline_keyboard" in markup)) {
      // Only inline keyboards can be attached to an edited message.
      throw bad("can't parse inline keyboard button: InlineKeyboardMarkup must be an Object");
    }

    let text: string | undefined;
    let parseMode: string | undefined;
    let formatted: { plain: string; entities?: MessageEntity[] } | undefined;
    if (what === "text") {
      if (message.text === undefined) throw bad("there is no text in the message to edit");
      text = strParam(p, "text");
      if (!text) throw bad("message text is empty");
      parseMode = strParam(p, "parse_mode");
      formatted = formatText(text, parseMode, jsonParam(p, "entities", "can't parse entities JSON object"));
      if (formatted.plain.trim() === "") throw bad("message must be non-empty");
      if (formatted.plain.length > 4096) throw bad("message is too long");
    }

    const sameText = !formatted || (formatted.plain === message.text && canonical(formatted.entities ?? []) === canonical(message.entities ?? []));
    if (sameText && canonical(markup ?? null) === canonical(message.reply_markup ?? null)) {
      throw bad("message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message");
    }

    // Both edit methods replace the keyboard with the one given; none given removes it, as in Telegram.
    if (markup !== undefined) message.reply_markup = markup as Message["reply_markup"];
    else delete message.reply_markup;
    if (formatted) {
      message.text = formatted.plain;
      if (formatted.entities) message.entities = formatted.entities;
      else delete message.entities;
    }
    message.edit_date = unixNow();

    const original = stored.record;
    if (original) {
      if (text !== undefined) {
        original.text = text;
        original.plainText = formatted!.plain;
        if (parseMode !== undefined) original.parse_mode = parseMode;
        else delete original.parse_mode;
      }
      if (markup !== undefined) original.reply_markup = markup;
      else delete original.reply_markup;
      original.editedAt = Date.now();
    }
    this.record(chatId, {
      message_id: message.message_id,
      method: what === "text" ? "editMessageText" : "editMessageReplyMarkup",
      ...(original?.text !== undefined ? { text: original.text } : {}),
      ...(original?.plainText !== undefined ? { plainText: original.plainText } : {}),
      ...(original?.parse_mode !== undefined ? { parse_mode: original.parse_mode } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
      raw: p,
    });
    return structuredClone(message);
  }

  private deleteMessage(p: Params): true {
    const { chatId, stored } = this.targetMessage(p, "message to delete not found");
    stored.deleted = true;
    if (stored.record) stored.record.deleted = true;
    this.record(chatId, { message_id: stored.message.message_id, method: "deleteMessage", raw: p });
    return true;
  }

  // ----- Long polling ------------------------------------------------------------------------------------------

  private getUpdates(p: Params, res: ServerResponse, call: ApiCall): void {
    if (this.webhook) {
      throw new ApiFailure(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    const offset = intParam(p, "offset") ?? 0;
    const limit = Math.min(100, Math.max(1, intParam(p, "limit") ?? 100));
    // Capped at a day: setTimeout cannot hold more than about 24.8 days and nothing needs longer.
    const timeout = Math.min(86_400, Math.max(0, intParam(p, "timeout") ?? 0));
    const allowed = jsonParam(p, "allowed_updates", "can't parse allowed_updates JSON array");
    // Like Telegram, allowed_updates is a setting that sticks until changed; omitted means "keep".
    if (Array.isArray(allowed)) this.allowedUpdates = allowed.map(String);

    this.confirm(offset);
    this.lastPollAt = Date.now();
    // Telegram answers an older poll still waiting with 409: two bot instances show up in tests too.
    this.endHeldPoll(409, errorPayload(new ApiFailure(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")));

    const batch = this.takeBatch(limit);
    if (batch.length > 0 || timeout === 0 || this.closing) {
      writeJson(res, 200, { ok: true, result: batch });
      return;
    }
    const poll: HeldPoll = { res, limit, call, timer: setTimeout(() => this.endHeldPoll(200, { ok: true, result: [] }), timeout * 1000) };
    this.heldPoll = poll;
    // The bot gave up on this request (grammY's bot.stop() aborts it): forget it.
    res.on("close", () => {
      if (this.heldPoll === poll) {
        clearTimeout(poll.timer);
        this.heldPoll = undefined;
      }
    });
  }

  private endHeldPoll(status: number, payload: unknown, closeConnection = false): void {
    const poll = this.heldPoll;
    if (!poll) return;
    clearTimeout(poll.timer);
    this.heldPoll = undefined;
    if (status !== 200) {
      const p = payload as { error_code: number; description: string };
      poll.call.error = { code: p.error_code, description: p.description };
    }
    writeJson(poll.res, status, payload, closeConnection);
  }

  /** getUpdates' offset: updates below it are confirmed and forgotten; a negative one keeps the last -offset. */
  private confirm(offset: number): void {
    if (offset > 0) {
      this.queue = this.queue.filter((e) => e.update.update_id >= offset || (e.replay && !e.delivered));
      this.confirmedOffset = Math.max(this.confirmedOffset, offset);
    } else if (offset < 0) {
      this.queue = this.queue.slice(offset);
    }
  }

  private isAllowed(update: Update): boolean {
    const type = Object.keys(update).find((k) => k !== "update_id") ?? "";
    const allowed = this.allowedUpdates;
    return allowed && allowed.length > 0 ? allowed.includes(type) : !OPT_IN_UPDATES.has(type);
  }

  /** Up to `limit` queued updates, oldest first; those allowed_updates excludes are dropped, as Telegram does. */
  private takeBatch(limit: number): Update[] {
    const batch: Update[] = [];
    for (let i = 0; i < this.queue.length && batch.length < limit; ) {
      const entry = this.queue[i]!;
      if (!this.isAllowed(entry.update)) {
        this.queue.splice(i, 1);
        continue;
      }
      entry.delivered = true;
      batch.push(entry.update);
      i++;
    }
    return batch;
  }

  /** Hands new updates out on the next tick, so that updates injected in one go travel in one batch. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.closing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.closing) return;
      if (this.webhook) {
        void this.deliverLoop();
      } else if (this.heldPoll) {
        const batch = this.takeBatch(this.heldPoll.limit);
        if (batch.length > 0) this.endHeldPoll(200, { ok: true, result: batch });
      }
    });
  }

  // ----- Webhook ----------------------------------------------------------------------------------------------

  private setWebhook(p: Params): true {
    const url = strParam(p, "url") ?? "";
    // An empty url removes the webhook, as in Telegram.
    if (url === "") return this.deleteWebhook(p);
    try {
      new URL(url);
    } catch {
      throw bad("bad webhook: invalid URL");
    }
    const secretToken = strParam(p, "secret_token");
    if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
      throw bad("bad webhook: secret token contains unallowed characters");
    }
    const allowed = jsonParam(p, "allowed_updates", "can't parse allowed_updates JSON array");
    if (Array.isArray(allowed)) this.allowedUpdates = allowed.map(String);
    if (boolParam(p, "drop_pending_updates")) this.queue = [];
    this.endHeldPoll(409, errorPayload(new ApiFailure(409, "Conflict: terminated by setWebhook request")));
    this.webhook = { url, maxConnections: intParam(p, "max_connections") ?? 40, ...(secretToken ? { secretToken } : {}) };
    this.scheduleFlush();
    return true;
  }

  private deleteWebhook(p: Params): true {
    this.webhook = undefined;
    if (boolParam(p, "drop_pending_updates")) this.queue = [];
    this.wakeDeliveryLoop?.();
    return true;
  }

  private webhookInfo(): Record<string, unknown> {
    const hook = this.webhook;
    return {
      url: hook?.url ?? "",
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
      ...(hook ? { max_connections: hook.maxConnections, ip_address: "127.0.0.1" } : {}),
      ...(hook?.lastErrorDate !== undefined ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage } : {}),
      ...(this.allowedUpdates ? { allowed_updates: this.allowedUpdates } : {}),
    };
  }

  /**
   * Sends queued updates to the webhook one at a time, in order. An update that is not answered 2xx is
   * re-sent after `webhookRetryDelayMs`, up to `webhookMaxAttempts` times, then dropped; later updates wait
   * for it, which keeps the order the bot sees the same as in polling mode.
   */
  private async deliverLoop(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (!this.closing && this.webhook && this.queue.length > 0) {
        const hook = this.webhook;
        const entry = this.queue[0]!;
        if (!this.isAllowed(entry.update)) {
          this.queue.shift();
          continue;
        }
        entry.attempts++;
        entry.delivered = true;
        const error = await this.postUpdate(hook, entry);
        if (this.closing) break;
        if (error === undefined || entry.attempts >= this.maxAttempts) {
          const index = this.queue.indexOf(entry);
          if (index >= 0) this.queue.splice(index, 1);
        }
        if (error !== undefined) {
          hook.lastErrorDate = unixNow();
          hook.lastErrorMessage = error;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.retryDelayMs);
            this.wakeDeliveryLoop = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wakeDeliveryLoop = undefined;
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  /** POSTs one update; returns undefined when the webhook accepted it, else Telegram's last_error_message. */
  private async postUpdate(hook: WebhookState, entry: QueuedUpdate): Promise<string | undefined> {
    const controller = new AbortController();
    this.inflightDeliveries.add(controller);
    const timer = setTimeout(() => controller.abort(new Error("timeout")), this.webhookTimeoutMs);
    const delivery: WebhookDelivery = { update_id: entry.update.update_id, attempt: entry.attempts, at: Date.now() };
    this.deliveries.push(delivery);
    try {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (hook.secretToken) headers["x-telegram-bot-api-secret-token"] = hook.secretToken;
      const response = await fetch(hook.url, { method: "POST", headers, body: JSON.stringify(entry.update), signal: controller.signal });
      const body = await response.text();
      delivery.status = response.status;
      if (!response.ok) return `Wrong response from the webhook: ${response.status} ${response.statusText}`;
      this.runWebhookReply(response.headers.get("content-type") ?? "", body);
      return undefined;
    } catch (e) {
      delivery.error = controller.signal.aborted ? "Read timeout expired" : `Connection failed: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`;
      return delivery.error;
    } finally {
      clearTimeout(timer);
      this.inflightDeliveries.delete(controller);
    }
  }

  /** A webhook may answer with a method call in its response body; Telegram then performs it. */
  private runWebhookReply(contentType: string, body: string): void {
    if (!contentType.includes("json") || body === "") return;
    let reply: unknown;
    try {
      reply = JSON.parse(body);
    } catch {
      return;
    }
    if (!reply || typeof reply !== "object" || typeof (reply as Params).method !== "string") return;
    const { method: requested, ...params } = reply as Params & { method: string };
    const method = METHOD_BY_LOWER.get(requested.toLowerCase());
    const call: ApiCall = { method: method ?? requested, body: params, at: Date.now() };
    this.calls.push(call);
    try {
      if (!method || method === "getUpdates") throw new ApiFailure(404, `Not Found: method ${requested} is not supported by the fake`);
      this.execute(method, params, new Map());
    } catch (e) {
      if (!(e instanceof ApiFailure)) throw e;
      call.error = { code: e.code, description: e.description };
    }
  }

  // ----- Shutdown ----------------------------------------------------------------------------------------------

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    // The bot's pending long poll gets an empty answer at once, so its loop is not left hanging.
    this.endHeldPoll(200, { ok: true, result: [] }, true);
    for (const controller of this.inflightDeliveries) controller.abort(new Error("fake Telegram closed"));
    this.wakeDeliveryLoop?.();
    for (const [chatId, state] of this.chats) {
      for (const waiter of state.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`the fake Telegram server closed while waiting for a message in chat ${chatId}`));
      }
    }
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Answers already written get a moment to flush; anything still open after that is cut.
      setTimeout(() => this.server.closeAllConnections(), 50).unref();
    });
  }
}

export async function startFakeTelegram(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const fake = new FakeTelegramServer(opts);
  await fake.listen();
  return fake;
}

/**
 * A fake Telegram Bot API server over real HTTP on 127.0.0.1, for the real grammY bot
 * (`new Bot(token, { client: { apiRoot: fake.apiRoot } })`). Pointing the bot at a server, rather than
 * mocking `bot.api`, also reaches the `Api` instances that @grammyjs/conversations builds for itself.
 *
 * It refuses what Telegram refuses, in Telegram's words, so that no test passes on a call production
 * would reject: unknown methods, missing parameters and wrong types (fake-telegram-methods.ts, a table
 * of the methods the bot uses), texts over 4096 characters after entity parsing, captions over 1024,
 * callback data over 64 bytes, callback answers over 200 characters (fake-telegram-content.ts), HTML
 * Telegram cannot parse (fake-telegram-html.ts). And it keeps Telegram's behaviour where bots get it
 * wrong: getUpdates confirms by `offset` and long-polls, a second poller gets 409
 * (fake-telegram-updates.ts), webhooks are re-sent until answered 2xx (fake-telegram-webhook.ts),
 * editing to the same content fails and editing text without `reply_markup` removes the inline keyboard
 * (fake-telegram-messages.ts). Used by end-to-end tests, the browser sandbox (through the HTTP control
 * routes in fake-telegram-control.ts) and benchmarks.
 *
 * This file: the HTTP server, routing, failure injection and the methods' dispatch. Users' updates are
 * built in fake-telegram-users.ts, the record of each chat is kept in fake-telegram-chats.ts.
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
import type { User } from "grammy/types";
import { isRecord } from "../guards.js";
import { ChatBook } from "./fake-telegram-chats.js";
import { checkCallbackAnswer } from "./fake-telegram-content.js";
import { handleControlRequest } from "./fake-telegram-control.js";
import { BotMessages } from "./fake-telegram-messages.js";
import { checkCall, methodNamed, type MethodName } from "./fake-telegram-methods.js";
import type { MultipartFile } from "./fake-telegram-multipart.js";
import type {
  ApiCall,
  FakeFailure,
  FakeTelegram,
  FakeTelegramOptions,
  FakeUser,
  MessageOptions,
  SentMessage,
  WebhookDelivery,
} from "./fake-telegram-types.js";
import { UpdateQueue } from "./fake-telegram-updates.js";
import { UserUpdates } from "./fake-telegram-users.js";
import { WebhookDeliverer } from "./fake-telegram-webhook.js";
import {
  ApiFailure,
  bad,
  canonical,
  describeParams,
  errorPayload,
  failureToApiFailure,
  intParam,
  jsonParam,
  readParams,
  requireChatId,
  strParam,
  writeJson,
  type Params,
} from "./fake-telegram-wire.js";

/** BotCommandScope's types and the fields each requires. */
const SCOPE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  default: [],
  all_private_chats: [],
  all_group_chats: [],
  all_chat_administrators: [],
  chat: ["chat_id"],
  chat_administrators: ["chat_id"],
  chat_member: ["chat_id", "user_id"],
};

export type {
  ApiCall,
  FakeApiError,
  FakeFailure,
  FakeTelegram,
  FakeTelegramOptions,
  FakeUser,
  MessageOptions,
  SentFile,
  SentMessage,
  WebhookDelivery,
} from "./fake-telegram-types.js";

const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

class FakeTelegramServer implements FakeTelegram {
  apiRoot = "";
  readonly token: string;
  readonly botUser: User;
  readonly calls: ApiCall[] = [];

  private readonly server: Server;
  private readonly updates: UpdateQueue;
  private readonly webhook: WebhookDeliverer;
  private readonly chats: ChatBook;
  private readonly messages: BotMessages;
  private readonly users: UserUpdates;
  private flushScheduled = false;

  private readonly myCommands = new Map<string, { command: string; description: string }[]>();
  private nextFileId = 1;

  private failRules: { method: string; failure: FakeFailure; remaining: number }[] = [];
  private periodicFailure: { n: number; failure: FakeFailure; count: number; refused: Set<string> } | undefined;

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
    const isClosing = () => this.closing;
    this.updates = new UpdateQueue(isClosing);
    this.webhook = new WebhookDeliverer(
      this.updates,
      {
        retryDelayMs: opts.webhookRetryDelayMs ?? 200,
        maxAttempts: opts.webhookMaxAttempts ?? 5,
        timeoutMs: opts.webhookTimeoutMs ?? 10_000,
        balancer: opts.webhookBalancer,
      },
      (method, params) => this.performWebhookReply(method, params),
      isClosing,
    );
    this.chats = new ChatBook(opts.waitTimeoutMs ?? 3000, isClosing, (chatId) => this.describeCalls(chatId));
    this.messages = new BotMessages(this.chats, this.botUser, (kind) => this.newFile(kind));
    this.users = new UserUpdates(
      this.chats,
      (kind) => this.newFile(kind),
      (update) => this.injectRaw(update),
    );
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        writeJson(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(e)}` });
      });
    });
    // grammY keeps connections alive without an idle limit; a server closing idle sockets after Node's
    // default 5 s can race a request being sent on one ("socket hang up") in slow benchmarks.
    this.server.keepAliveTimeout = 120_000;
  }

  get deliveries(): WebhookDelivery[] {
    return this.webhook.deliveries;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo; // a TCP server's address
    this.apiRoot = `http://127.0.0.1:${port}`;
  }

  // ----- Injecting updates ------------------------------------------------------------------------------

  sendText(user: FakeUser, text: string, opts?: MessageOptions): number {
    return this.users.text(user, text, opts);
  }

  sendContact(user: FakeUser, contact: Parameters<FakeTelegram["sendContact"]>[1], opts?: MessageOptions): number {
    return this.users.contact(user, contact, opts);
  }

  sendSticker(user: FakeUser, opts?: MessageOptions): number {
    return this.users.sticker(user, opts);
  }

  sendPhoto(user: FakeUser, opts?: MessageOptions): number {
    return this.users.photo(user, opts);
  }

  sendVoice(user: FakeUser, opts?: MessageOptions): number {
    return this.users.voice(user, opts);
  }

  pressButton(user: FakeUser, message: Pick<SentMessage, "chat_id" | "message_id">, callbackData: string): number {
    return this.users.pressButton(user, message, callbackData);
  }

  injectRaw(raw: Record<string, unknown>): number {
    // Telegram makes the id of every callback query it delivers, forged data or not: the bot may answer it once.
    const query = raw.callback_query;
    if (query !== null && typeof query === "object" && "id" in query && typeof query.id === "string") {
      this.users.openCallbackQueries.add(query.id);
    }
    const updateId = this.updates.inject(raw);
    this.scheduleFlush();
    return updateId;
  }

  pendingUpdates(): number {
    return this.updates.length;
  }

  private newFile(kind: string): { file_id: string; file_unique_id: string } {
    const n = this.nextFileId++;
    return { file_id: `fake-${kind}-${n}`, file_unique_id: `u-${kind}-${n}` };
  }

  /** Hands new updates out on the next tick, so that updates injected in one go travel in one batch. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.closing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.closing) return;
      if (this.webhook.url !== undefined) this.webhook.deliver();
      else this.updates.answerHeldPoll();
    });
  }

  // ----- Reading what the bot did -------------------------------------------------------------------------

  sent(chatId: number): SentMessage[] {
    return this.chats.sent(chatId);
  }

  unread(chatId: number): SentMessage[] {
    return this.chats.unread(chatId);
  }

  chatActions(chatId: number): string[] {
    return this.chats.chatActions(chatId);
  }

  nextMessage(chatId: number, timeoutMs?: number): Promise<SentMessage> {
    return this.chats.nextMessage(chatId, timeoutMs);
  }

  waitForMessage(chatId: number, predicate?: (m: SentMessage) => boolean, timeoutMs?: number): Promise<SentMessage> {
    return this.chats.waitForMessage(chatId, predicate, timeoutMs);
  }

  commands(scope: Record<string, unknown> = { type: "default" }, languageCode = ""): { command: string; description: string }[] {
    return [...(this.myCommands.get(`${canonical(scope)}|${languageCode}`) ?? [])];
  }

  /** For a wait that timed out: the calls for this chat that failed, and whether the bot polls. */
  private describeCalls(chatId: number): string[] {
    const lines: string[] = [];
    const failed = this.calls.filter((c) => c.error && intParam(c.body, "chat_id") === chatId);
    if (failed.length) {
      lines.push("calls for this chat that failed:");
      lines.push(...failed.map((c) => `  ${c.method}: ${c.error?.code} ${c.error?.description}`));
    }
    const mode = this.webhook.url !== undefined ? `webhook ${this.webhook.url}` : "polling";
    const lastPoll = this.updates.lastPollAt === undefined ? "never" : `${Date.now() - this.updates.lastPollAt} ms ago`;
    lines.push(`delivery: ${mode}; ${this.updates.length} update(s) pending; last getUpdates: ${lastPoll}`);
    return lines;
  }

  // ----- Failure injection ----------------------------------------------------------------------------------

  failNext(method: string, failure: FakeFailure, times = 1): void {
    const name = method === "*" ? "*" : (methodNamed(method) ?? method);
    if (times > 0) this.failRules.push({ method: name, failure, remaining: times });
  }

  failEvery(n: number, failure: FakeFailure = { code: 429, description: "Too Many Requests: retry after 1", retry_after: 1 }): void {
    this.periodicFailure = n > 0 ? { n, failure, count: 0, refused: new Set() } : undefined;
  }

  /**
   * The failure to answer this call with, if any. "*" and failEvery leave getUpdates alone: a polling
   * bot always has a getUpdates in flight, which would otherwise take the failure meant for a send.
   * failEvery lets the same call through when it comes again, as Telegram does a send that waited out
   * its retry_after. Counting the repeats too, about one run in thirty of the 100-customer load test had
   * a message meet the nth place six times running, and the bot (which gives up after five retries)
   * failed it by chance. A call is the same when its method and parameters are.
   */
  private takeFailure(method: string, params: unknown): FakeFailure | undefined {
    const index = this.failRules.findIndex((r) => r.method === method || (r.method === "*" && method !== "getUpdates"));
    const rule = this.failRules[index];
    if (rule) {
      if (--rule.remaining <= 0) this.failRules.splice(index, 1);
      return rule.failure;
    }
    const every = this.periodicFailure;
    if (!every || method === "getUpdates") return undefined;
    const call = `${method} ${JSON.stringify(params)}`;
    if (every.refused.delete(call) || ++every.count % every.n !== 0) return undefined;
    every.refused.add(call);
    return every.failure;
  }

  // ----- HTTP -------------------------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith("/control/")) {
      await handleControlRequest(this, req, res, url);
      return;
    }
    const route = /^\/bot([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!route?.[1] || !route[2]) {
      writeJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      return;
    }
    const token = decodeURIComponent(route[1]);
    const requested = route[2];

    let params: Params = {};
    let files = new Map<string, MultipartFile>();
    const call: ApiCall = { method: methodNamed(requested) ?? requested, body: params, at: Date.now() };
    this.calls.push(call);
    const fail = (e: ApiFailure) => {
      call.error = { code: e.code, description: e.description };
      writeJson(res, e.code, errorPayload(e));
    };

    try {
      ({ params, files } = await readParams(req, url));
      call.body = describeParams(params, files);
      if (token !== this.token) throw new ApiFailure(401, "Unauthorized");
      // A call Telegram would refuse is refused before anything else: no test passes on it.
      const method = checkCall(requested, params, files);

      const failure = this.takeFailure(method, call.body);
      if (failure === "network") {
        call.error = { code: 0, description: "connection dropped by failNext/failEvery" };
        req.socket.destroy();
        return;
      }
      if (failure) throw failureToApiFailure(failure);

      if (method === "getUpdates") {
        if (this.webhook.url !== undefined) {
          throw new ApiFailure(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          );
        }
        this.updates.getUpdates(params, res, call);
        return;
      }
      writeJson(res, 200, { ok: true, result: this.execute(method, params, files) });
    } catch (e) {
      if (e instanceof ApiFailure) fail(e);
      else throw e;
    }
  }

  /** A method call a webhook answered with: checked and performed like a request, recorded in `calls`. */
  private performWebhookReply(requested: string, params: Params): void {
    const call: ApiCall = { method: methodNamed(requested) ?? requested, body: params, at: Date.now() };
    this.calls.push(call);
    try {
      const method = checkCall(requested, params, new Map());
      // Telegram answers a webhook with nothing to read: getUpdates makes no sense there.
      if (method === "getUpdates") throw bad("getUpdates cannot be used in a webhook reply");
      this.execute(method, params, new Map());
    } catch (e) {
      if (!(e instanceof ApiFailure)) throw e;
      call.error = { code: e.code, description: e.description };
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
        return this.webhook.set(p);
      case "deleteWebhook":
        return this.webhook.remove(p);
      case "getWebhookInfo":
        return this.webhook.info();
      case "sendMessage":
        return this.messages.sendMessage(p);
      case "sendChatAction": {
        const chatId = requireChatId(p);
        const action = strParam(p, "action") ?? "";
        if (!CHAT_ACTIONS.has(action)) throw bad("wrong parameter action in request");
        this.chats.state(chatId).actions.push(action);
        return true;
      }
      case "setMyCommands": {
        const commands = jsonParam(p, "commands", "can't parse commands JSON object");
        if (!Array.isArray(commands) || commands.length > 100) throw bad("can't parse commands JSON object");
        const list = commands.map((c: unknown) => {
          const { command, description } = (c ?? {}) as { command?: unknown; description?: unknown }; // checked field by field below
          if (typeof command !== "string" || !/^[a-z0-9_]{1,32}$/.test(command)) throw bad("BOT_COMMAND_INVALID");
          if (typeof description !== "string" || description.length === 0) throw bad("command description is empty");
          if (description.length > 256) throw bad("BOT_COMMAND_DESCRIPTION_INVALID");
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
        return this.messages.editMessage(p, "text");
      case "editMessageReplyMarkup":
        return this.messages.editMessage(p, "markup");
      case "answerCallbackQuery": {
        const id = strParam(p, "callback_query_id") ?? "";
        // Telegram accepts one answer per query; a second one, or an unknown id, is this error.
        if (!this.users.openCallbackQueries.has(id)) throw bad("query is too old and response timeout expired or query ID is invalid");
        checkCallbackAnswer(p);
        this.users.openCallbackQueries.delete(id);
        return true;
      }
      case "sendDocument":
        return this.messages.sendFile(p, files, "document");
      case "sendPhoto":
        return this.messages.sendFile(p, files, "photo");
      case "deleteMessage":
        return this.messages.deleteMessage(p);
    }
  }

  /** The scope and language a command list is kept under, refused as Telegram refuses a malformed one. */
  private commandsKey(p: Params): string {
    const scope = jsonParam(p, "scope", "can't parse BotCommandScope JSON object") ?? { type: "default" };
    const needs = isRecord(scope) && typeof scope.type === "string" ? SCOPE_FIELDS[scope.type] : undefined;
    if (!isRecord(scope) || !needs || needs.some((field) => scope[field] === undefined))
      throw bad("can't parse BotCommandScope JSON object");
    const language = strParam(p, "language_code") ?? "";
    if (language !== "" && !/^[a-z]{2}$/.test(language)) throw bad("LANG_CODE_INVALID");
    return `${canonical(scope)}|${language}`;
  }

  // ----- Shutdown ----------------------------------------------------------------------------------------------

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    // The bot's pending long poll gets an empty answer at once, so its loop is not left hanging.
    this.updates.endHeldPoll(200, { ok: true, result: [] }, true);
    this.webhook.stop();
    this.chats.rejectWaiters();
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

/** The fake Bot API server's public types: what tests and the sandbox see of it (see fake-telegram.ts). */
import type { User } from "grammy/types";

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
  // biome-ignore lint/suspicious/noExplicitAny: tests dig into keyboards freely; a union type would only get in the way
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
  /** The replica's origin it was posted to, with a balancer. */
  target?: string;
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

export interface WebhookBalancer {
  /** Origins of the replicas (`http://127.0.0.1:8081`); the path of the webhook's URL is kept. */
  targets: string[];
  /** Share of updates also posted to the next replica at the same moment (default 0). */
  redeliverRatio?: number;
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
  /** Several replicas behind the webhook's URL: updates spread over them (fake-telegram-webhook.ts). */
  webhookBalancer?: WebhookBalancer;
  /** Default timeout of nextMessage and waitForMessage (default 3000 ms). */
  waitTimeoutMs?: number;
}

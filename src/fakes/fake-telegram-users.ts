/**
 * The people's side of the fake server: the updates a test sends as a user (texts, contacts, stickers,
 * photos, voice notes, button presses), shaped like Telegram's, and the callback queries still open.
 */
import type { Chat, Message, User } from "grammy/types";
import type { ChatBook } from "./fake-telegram-chats.js";
import type { FakeUser, MessageOptions, SentMessage } from "./fake-telegram-types.js";
import { unixNow } from "./fake-telegram-wire.js";

function toUser(u: FakeUser): User {
  const user: User = { id: u.id, is_bot: false, first_name: u.first_name };
  if (u.last_name !== undefined) user.last_name = u.last_name;
  if (u.username !== undefined) user.username = u.username;
  if (u.language_code !== undefined) user.language_code = u.language_code;
  return user;
}

export class UserUpdates {
  /** Callback queries pressed and not answered yet: Telegram accepts one answer per query. */
  readonly openCallbackQueries = new Set<string>();
  private nextCallbackId = 1;

  constructor(
    private readonly chats: ChatBook,
    private readonly newFile: (kind: string) => { file_id: string; file_unique_id: string },
    /** Queues the update; returns its update_id. */
    private readonly inject: (update: Record<string, unknown>) => number,
  ) {}

  text(user: FakeUser, text: string, opts: MessageOptions = {}): number {
    const message = this.message(user, opts, { text });
    // Telegram marks a leading /command (optionally /command@botname) as a bot_command entity.
    const command = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])/.exec(text);
    if (command) message.entities = [{ type: "bot_command", offset: 0, length: command[0].length }];
    return this.inject({ message });
  }

  contact(
    user: FakeUser,
    contact: { phone_number: string; first_name: string; last_name?: string; user_id?: number; vcard?: string },
    opts: MessageOptions = {},
  ): number {
    return this.inject({ message: this.message(user, opts, { contact: { ...contact } }) });
  }

  sticker(user: FakeUser, opts: MessageOptions = {}): number {
    const sticker = {
      ...this.newFile("sticker"),
      type: "regular" as const,
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
      emoji: "👍",
      file_size: 24_000,
    };
    return this.inject({ message: this.message(user, opts, { sticker }) });
  }

  photo(user: FakeUser, opts: MessageOptions = {}): number {
    const base = this.newFile("photo");
    const photo = [
      { file_id: `${base.file_id}-s`, file_unique_id: `${base.file_unique_id}s`, width: 90, height: 90, file_size: 1_500 },
      { file_id: `${base.file_id}-m`, file_unique_id: `${base.file_unique_id}m`, width: 320, height: 320, file_size: 20_000 },
      { file_id: `${base.file_id}-x`, file_unique_id: `${base.file_unique_id}x`, width: 1280, height: 1280, file_size: 150_000 },
    ];
    return this.inject({ message: this.message(user, opts, { photo }) });
  }

  voice(user: FakeUser, opts: MessageOptions = {}): number {
    const voice = { ...this.newFile("voice"), duration: 3, mime_type: "audio/ogg", file_size: 9_000 };
    return this.inject({ message: this.message(user, opts, { voice }) });
  }

  pressButton(user: FakeUser, message: Pick<SentMessage, "chat_id" | "message_id">, callbackData: string): number {
    const stored = this.chats.find(message.chat_id, message.message_id);
    if (!stored?.fromBot || stored.deleted) {
      throw new Error(`pressButton: chat ${message.chat_id} shows no bot message ${message.message_id}`);
    }
    // Only buttons the message shows now can be pressed (an edit without reply_markup removes them).
    // The fake stored the keyboard the bot sent; only text and callback_data matter here.
    const rows = (stored.message.reply_markup?.inline_keyboard ?? []) as { text: string; callback_data?: string }[][];
    const shown = rows.flat().filter((b) => b.callback_data !== undefined);
    if (!shown.some((b) => b.callback_data === callbackData)) {
      const list = shown.map((b) => `${JSON.stringify(b.text)}=${JSON.stringify(b.callback_data)}`).join(", ") || "none";
      throw new Error(
        `pressButton: message ${message.message_id} has no button with data ${JSON.stringify(callbackData)}; it shows: ${list}`,
      );
    }
    const id = String(this.nextCallbackId++);
    this.openCallbackQueries.add(id);
    return this.inject({
      callback_query: {
        id,
        from: toUser(user),
        message: structuredClone(stored.message),
        chat_instance: `ci${message.chat_id}`,
        data: callbackData,
      },
    });
  }

  private message(user: FakeUser, opts: MessageOptions, content: Partial<Message>): Message {
    const chatId = opts.chatId ?? user.id;
    const chatType = opts.chatType ?? (chatId < 0 ? "supergroup" : "private");
    const chat: Chat =
      chatType === "private"
        ? {
            id: chatId,
            type: "private",
            first_name: user.first_name,
            ...(user.last_name !== undefined ? { last_name: user.last_name } : {}),
            ...(user.username !== undefined ? { username: user.username } : {}),
          }
        : { id: chatId, type: chatType, title: `Test ${chatType} ${chatId}` };
    const state = this.chats.state(chatId, chat);
    const message = {
      message_id: state.nextMessageId++,
      from: toUser(user),
      chat,
      date: unixNow(),
      ...(opts.forwardFrom
        ? { forward_origin: { type: "user" as const, date: unixNow() - 60, sender_user: toUser(opts.forwardFrom) } }
        : {}),
      ...content,
    } as Message; // the content given is the kind of message this is
    state.messages.set(message.message_id, { fromBot: false, message, deleted: false });
    return message;
  }
}

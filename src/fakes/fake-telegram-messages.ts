/**
 * The methods by which the bot sends, edits and deletes messages, with Telegram's behaviour where bots
 * get it wrong: editing to the same content fails, editing without `reply_markup` removes the inline
 * keyboard, only an inline keyboard shows on the returned Message, captions and texts are held to
 * Telegram's limits (fake-telegram-content.ts).
 */
import type { Message, User } from "grammy/types";
import type { ChatBook, StoredMessage } from "./fake-telegram-chats.js";
import { captionText, checkReplyMarkup, messageText, type FormattedText } from "./fake-telegram-content.js";
import type { MultipartFile } from "./fake-telegram-multipart.js";
import type { SentFile } from "./fake-telegram-types.js";
import { bad, canonical, intParam, jsonParam, requireChatId, strParam, unixNow, type Params } from "./fake-telegram-wire.js";

const markupOf = (p: Params) => jsonParam(p, "reply_markup", "can't parse reply keyboard markup JSON object");

export class BotMessages {
  constructor(
    private readonly chats: ChatBook,
    private readonly botUser: User,
    private readonly newFile: (kind: string) => { file_id: string; file_unique_id: string },
  ) {}

  sendMessage(p: Params): Message {
    const chatId = requireChatId(p);
    const { raw, parseMode, formatted } = messageText(p);
    const markup = markupOf(p);
    checkReplyMarkup(markup);

    const message = this.botMessage(chatId, markup, {
      text: formatted.plain,
      ...(formatted.entities ? { entities: formatted.entities } : {}),
    });
    this.remember(chatId, message, {
      message_id: message.message_id,
      method: "sendMessage",
      text: raw,
      plainText: formatted.plain,
      ...(parseMode !== undefined ? { parse_mode: parseMode } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
      raw: p,
    });
    return structuredClone(message);
  }

  sendFile(p: Params, files: Map<string, MultipartFile>, kind: "document" | "photo"): Message {
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

    const caption = captionText(p);
    const markup = markupOf(p);
    checkReplyMarkup(markup);

    const ids = this.newFile(kind);
    const content: Partial<Message> =
      kind === "document"
        ? {
            document: {
              ...ids,
              file_size: file.size,
              ...(file.filename ? { file_name: file.filename } : {}),
              ...(file.mime_type ? { mime_type: file.mime_type } : {}),
            },
          }
        : { photo: [{ ...ids, width: 320, height: 320, file_size: file.size }] };
    if (caption) {
      content.caption = caption.formatted.plain;
      if (caption.formatted.entities) content.caption_entities = caption.formatted.entities;
    }
    const message = this.botMessage(chatId, markup, content);
    this.remember(chatId, message, {
      message_id: message.message_id,
      method: kind === "document" ? "sendDocument" : "sendPhoto",
      ...(caption ? { caption: caption.raw, plainText: caption.formatted.plain } : {}),
      ...(p.parse_mode !== undefined ? { parse_mode: strParam(p, "parse_mode") } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
      document: file,
      raw: p,
    });
    return structuredClone(message);
  }

  editMessage(p: Params, what: "text" | "markup"): Message {
    const { chatId, stored } = this.targetMessage(p, "message to edit not found");
    if (!stored.fromBot) throw bad("message can't be edited");
    const message = stored.message;
    const markup = markupOf(p);
    checkReplyMarkup(markup);
    if (markup !== undefined && !(typeof markup === "object" && markup && "inline_keyboard" in markup)) {
      // Only inline keyboards can be attached to an edited message.
      throw bad("can't parse inline keyboard button: InlineKeyboardMarkup must be an Object");
    }

    let edit: { raw: string; parseMode: string | undefined; formatted: FormattedText } | undefined;
    if (what === "text") {
      if (message.text === undefined) throw bad("there is no text in the message to edit");
      edit = messageText(p);
    }
    const formatted = edit?.formatted;

    const sameText =
      !formatted || (formatted.plain === message.text && canonical(formatted.entities ?? []) === canonical(message.entities ?? []));
    if (sameText && canonical(markup ?? null) === canonical(message.reply_markup ?? null)) {
      throw bad(
        "message is not modified: specified new message content and reply markup are exactly the same as a content and reply markup of the current message",
      );
    }

    // Both edit methods replace the keyboard with the one given; none given removes it, as in Telegram.
    if (markup !== undefined)
      message.reply_markup = markup as Message["reply_markup"]; // an inline keyboard, checked above
    else delete message.reply_markup;
    if (formatted) {
      message.text = formatted.plain;
      if (formatted.entities) message.entities = formatted.entities;
      else delete message.entities;
    }
    message.edit_date = unixNow();

    const original = stored.record;
    if (original) {
      if (edit) {
        original.text = edit.raw;
        original.plainText = edit.formatted.plain;
        if (edit.parseMode !== undefined) original.parse_mode = edit.parseMode;
        else delete original.parse_mode;
      }
      if (markup !== undefined) original.reply_markup = markup;
      else delete original.reply_markup;
      original.editedAt = Date.now();
    }
    this.chats.record(chatId, {
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

  deleteMessage(p: Params): true {
    const { chatId, stored } = this.targetMessage(p, "message to delete not found");
    stored.deleted = true;
    if (stored.record) stored.record.deleted = true;
    this.chats.record(chatId, { message_id: stored.message.message_id, method: "deleteMessage", raw: p });
    return true;
  }

  /** Records a send and links the record to the stored message, so later edits update it. */
  private remember(chatId: number, message: Message, entry: Parameters<ChatBook["record"]>[1]): void {
    const record = this.chats.record(chatId, entry);
    const stored = this.chats.find(chatId, message.message_id);
    if (stored) stored.record = record;
  }

  /** Stores a new message from the bot. Only an inline keyboard shows up in the returned Message, as in Telegram. */
  private botMessage(chatId: number, markup: unknown, content: Partial<Message>): Message {
    const state = this.chats.state(chatId);
    const message = {
      message_id: state.nextMessageId++,
      from: { ...this.botUser },
      chat: state.chat,
      date: unixNow(),
      ...content,
      ...(markup && typeof markup === "object" && "inline_keyboard" in markup ? { reply_markup: markup } : {}),
    } as Message; // the content given is the kind of message this is
    state.messages.set(message.message_id, { fromBot: true, message, deleted: false });
    return message;
  }

  /** The message a chat_id/message_id pair points to, checked like Telegram checks edits and deletions. */
  private targetMessage(p: Params, notFound: string): { chatId: number; stored: StoredMessage } {
    if (p.inline_message_id !== undefined) throw bad("inline messages are not supported by the fake");
    const chatId = requireChatId(p);
    const messageId = intParam(p, "message_id");
    const stored = messageId === undefined ? undefined : this.chats.find(chatId, messageId);
    if (!stored || stored.deleted) throw bad(notFound);
    return { chatId, stored };
  }
}

/**
 * The Bot API methods the bot uses, with their parameters as the published reference types them
 * (Bot API 10.1, core.telegram.org/bots/api, read from PaulSonOfLars/telegram-bot-api-spec's api.json),
 * and the checks Telegram applies to any call before its method runs: an unknown method is 404, a
 * missing required parameter or one of the wrong type is 400, in Telegram's words where it has them.
 * Parameters not listed are ignored, as Telegram ignores them.
 */
import { ApiFailure, bad, intParam, type Params } from "./fake-telegram-wire.js";
import type { MultipartFile } from "./fake-telegram-multipart.js";
import { parseJson } from "../guards.js";

/** A type as the reference writes it; a trailing "!" marks a required parameter. */
type ParamSpec = string;

const REPLY_MARKUP = "InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply";

/** What every send method takes besides its content. */
const SEND_OPTIONS = {
  business_connection_id: "String",
  chat_id: "Integer|String!",
  message_thread_id: "Integer",
  direct_messages_topic_id: "Integer",
  disable_notification: "Boolean",
  protect_content: "Boolean",
  allow_paid_broadcast: "Boolean",
  message_effect_id: "String",
  suggested_post_parameters: "SuggestedPostParameters",
  reply_parameters: "ReplyParameters",
  reply_markup: REPLY_MARKUP,
} satisfies Record<string, ParamSpec>;

/** What both edit methods take to name the message. */
const EDIT_TARGET = {
  business_connection_id: "String",
  chat_id: "Integer|String",
  message_id: "Integer",
  inline_message_id: "String",
  reply_markup: "InlineKeyboardMarkup",
} satisfies Record<string, ParamSpec>;

export const BOT_API_METHODS = {
  getMe: {},
  getUpdates: { offset: "Integer", limit: "Integer", timeout: "Integer", allowed_updates: "Array of String" },
  // The reference marks url required, but Telegram takes a missing or empty url as deleteWebhook.
  setWebhook: {
    url: "String",
    certificate: "InputFile",
    ip_address: "String",
    max_connections: "Integer",
    allowed_updates: "Array of String",
    drop_pending_updates: "Boolean",
    secret_token: "String",
  },
  deleteWebhook: { drop_pending_updates: "Boolean" },
  getWebhookInfo: {},
  sendMessage: {
    ...SEND_OPTIONS,
    text: "String!",
    parse_mode: "String",
    entities: "Array of MessageEntity",
    link_preview_options: "LinkPreviewOptions",
  },
  sendChatAction: { business_connection_id: "String", chat_id: "Integer|String!", message_thread_id: "Integer", action: "String!" },
  setMyCommands: { commands: "Array of BotCommand!", scope: "BotCommandScope", language_code: "String" },
  getMyCommands: { scope: "BotCommandScope", language_code: "String" },
  deleteMyCommands: { scope: "BotCommandScope", language_code: "String" },
  editMessageText: {
    ...EDIT_TARGET,
    text: "String",
    parse_mode: "String",
    entities: "Array of MessageEntity",
    link_preview_options: "LinkPreviewOptions",
    rich_message: "InputRichMessage",
  },
  editMessageReplyMarkup: EDIT_TARGET,
  answerCallbackQuery: { callback_query_id: "String!", text: "String", show_alert: "Boolean", url: "String", cache_time: "Integer" },
  sendDocument: {
    ...SEND_OPTIONS,
    document: "InputFile|String!",
    thumbnail: "InputFile|String",
    caption: "String",
    parse_mode: "String",
    caption_entities: "Array of MessageEntity",
    disable_content_type_detection: "Boolean",
  },
  sendPhoto: {
    ...SEND_OPTIONS,
    photo: "InputFile|String!",
    caption: "String",
    parse_mode: "String",
    caption_entities: "Array of MessageEntity",
    show_caption_above_media: "Boolean",
    has_spoiler: "Boolean",
  },
  deleteMessage: { chat_id: "Integer|String!", message_id: "Integer!" },
} satisfies Record<string, Record<string, ParamSpec>>;

export type MethodName = keyof typeof BOT_API_METHODS;

/** Method names are case-insensitive in the Bot API. */
const METHOD_BY_LOWER = new Map<string, MethodName>(
  Object.keys(BOT_API_METHODS).map((m) => [m.toLowerCase(), m as MethodName]), // keys of the table above
);

/** The method's name as the table spells it, or undefined for a method the fake does not know. */
export function methodNamed(requested: string): MethodName | undefined {
  return METHOD_BY_LOWER.get(requested.toLowerCase());
}

/** Telegram's answer to a required parameter left out (or empty), where it is not the generic one. */
const MISSING: Record<string, string> = {
  chat_id: "chat_id is empty",
  "deleteMessage.chat_id": "chat identifier is not specified",
  "deleteMessage.message_id": "message identifier is not specified",
  text: "message text is empty",
  document: "there is no document in the request",
  photo: "there is no photo in the request",
  action: "wrong parameter action in request",
  commands: "can't parse commands JSON object",
  // Telegram reads a missing id as 0, which no query has.
  callback_query_id: "query is too old and response timeout expired or query ID is invalid",
};

/** Telegram's answer to an object or array parameter it cannot read. */
const UNREADABLE: Record<string, string> = {
  reply_markup: "can't parse reply keyboard markup JSON object",
  entities: "can't parse entities JSON object",
  caption_entities: "can't parse entities JSON object",
  commands: "can't parse commands JSON object",
  scope: "can't parse BotCommandScope JSON object",
  allowed_updates: "can't parse allowed_updates JSON array",
  link_preview_options: "can't parse link preview options JSON object",
  reply_parameters: "can't parse reply parameters JSON object",
};

/** A JSON value, or the JSON text of one (multipart and urlencoded requests carry objects as text). */
function jsonValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return parseJson(value);
  } catch {
    return undefined;
  }
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "Integer":
      return intParam({ value }, "value") !== undefined;
    case "String":
    case "InputFile":
    case "InputFile|String":
      // An upload arrives as a file part named by "attach://<part>" (or by the parameter's own name).
      return typeof value === "string";
    case "Boolean":
      return typeof value === "boolean" || value === "true" || value === "false" || value === "1" || value === "0";
    case "Integer|String":
      return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
    default: {
      const parsed = jsonValue(value);
      if (type.startsWith("Array of ")) return Array.isArray(parsed);
      return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed);
    }
  }
}

/**
 * Checks a call against the table: throws the 404 or 400 Telegram would answer. An empty string counts
 * as missing, as in Telegram (which reads every parameter as text first); null counts as left out.
 */
export function checkCall(requested: string, params: Params, files: ReadonlyMap<string, MultipartFile>): MethodName {
  const method = methodNamed(requested);
  if (!method) throw new ApiFailure(404, "Not Found");
  const spec: Record<string, ParamSpec> = BOT_API_METHODS[method];
  for (const [name, written] of Object.entries(spec)) {
    const required = written.endsWith("!");
    const type = required ? written.slice(0, -1) : written;
    const value = params[name];
    const absent = value === undefined || value === null || value === "";
    if (absent) {
      if (required && !(type.includes("InputFile") && files.has(name))) {
        throw bad(MISSING[`${method}.${name}`] ?? MISSING[name] ?? `parameter "${name}" is required`);
      }
      continue;
    }
    if (!hasType(value, type)) throw bad(UNREADABLE[name] ?? `parameter "${name}" must be of type ${type}`);
  }
  return method;
}

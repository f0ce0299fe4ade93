/**
 * HTTP control routes of the fake Telegram server, for the browser sandbox (or any other process) that
 * plays the user's side over HTTP. Plain JSON in, JSON out; answers `{ ok: true, ... }` or
 * `{ ok: false, error }` with a 4xx status.
 *
 *   POST /control/text      { user, text, chatId?, chatType? }   → { ok, update_id }
 *   POST /control/contact   { user, contact, chatId? }           → { ok, update_id }
 *   POST /control/callback  { user, chatId, messageId, data }    → { ok, update_id }
 *   POST /control/update    { update }                           → { ok, update_id }   (any raw update)
 *   GET  /control/chats/:chatId/messages?after=<message_id>|since=<seq>&wait=<ms>
 *        → { ok, messages, lastSeq, lastMessageId }
 *        `after`: records about messages with a greater message_id (new messages, and their edits).
 *        `since`: records with a greater seq: also edits and deletions of older messages. A transcript
 *        view that shows edits in place should poll with `since=<lastSeq>`.
 *        `wait`: hold the request up to that many ms (max 60 000) until there is something to return.
 *   GET  /control/chats/:chatId/actions                  → { ok, actions }
 *   GET  /control/calls?since=<index>&method=<name>      → { ok, calls, total }
 *
 * Uploaded file contents are left out of the answers (only name and size), to keep them small.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeTelegram, FakeUser, SentMessage } from "./fake-telegram-types.js";
import { isRecord, parseJson } from "../guards.js";

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_WAIT_MS = 60_000;

export async function handleControlRequest(fake: FakeTelegram, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  try {
    const result = await route(fake, req, url);
    send(res, 200, { ok: true, ...result });
  } catch (e) {
    if (e instanceof ControlError) send(res, e.status, { ok: false, error: e.message });
    else send(res, 500, { ok: false, error: e instanceof Error ? e.message : String(e) });
  }
}

async function route(fake: FakeTelegram, req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const path = url.pathname.replace(/\/+$/, "");
  const method = req.method ?? "GET";

  if (method === "POST") {
    const body = await readJson(req);
    switch (path) {
      case "/control/text": {
        const text = body.text;
        if (typeof text !== "string" || text === "") throw new ControlError(400, "text must be a non-empty string");
        const chatType = body.chatType;
        if (chatType !== undefined && chatType !== "private" && chatType !== "group" && chatType !== "supergroup") {
          throw new ControlError(400, "chatType must be private, group or supergroup");
        }
        return { update_id: fake.sendText(userOf(body), text, { ...chatIdOf(body), ...(chatType ? { chatType } : {}) }) };
      }
      case "/control/contact": {
        const contact = isRecord(body.contact) ? body.contact : undefined;
        if (!contact || typeof contact.phone_number !== "string" || typeof contact.first_name !== "string") {
          throw new ControlError(400, "contact needs phone_number and first_name");
        }
        const card: Parameters<FakeTelegram["sendContact"]>[1] = { phone_number: contact.phone_number, first_name: contact.first_name };
        if (typeof contact.last_name === "string") card.last_name = contact.last_name;
        if (typeof contact.user_id === "number") card.user_id = contact.user_id;
        if (typeof contact.vcard === "string") card.vcard = contact.vcard;
        return { update_id: fake.sendContact(userOf(body), card, chatIdOf(body)) };
      }
      case "/control/callback": {
        const { chatId, messageId, data } = body;
        if (typeof chatId !== "number" || typeof messageId !== "number" || typeof data !== "string") {
          throw new ControlError(400, "callback needs numeric chatId and messageId and a string data");
        }
        try {
          return { update_id: fake.pressButton(userOf(body), { chat_id: chatId, message_id: messageId }, data) };
        } catch (e) {
          // No such message or button: the sandbox asked for something a user could not do.
          throw new ControlError(400, e instanceof Error ? e.message : String(e));
        }
      }
      case "/control/update": {
        const update = body.update;
        if (!isRecord(update)) throw new ControlError(400, "update must be an object");
        return { update_id: fake.injectRaw(update) };
      }
    }
  }

  if (method === "GET") {
    const chatRoute = /^\/control\/chats\/(-?\d+)\/(messages|actions)$/.exec(path);
    if (chatRoute) {
      const chatId = Number(chatRoute[1]);
      if (chatRoute[2] === "actions") return { actions: fake.chatActions(chatId) };
      return await messages(fake, chatId, url.searchParams);
    }
    if (path === "/control/calls") {
      const since = intQuery(url.searchParams, "since") ?? 0;
      const only = url.searchParams.get("method");
      const calls = fake.calls.slice(since).filter((c) => !only || c.method === only);
      return { calls, total: fake.calls.length };
    }
  }

  throw new ControlError(404, `no control route ${method} ${url.pathname}`);
}

async function messages(fake: FakeTelegram, chatId: number, query: URLSearchParams): Promise<Record<string, unknown>> {
  const after = intQuery(query, "after");
  const since = intQuery(query, "since");
  const wait = Math.min(MAX_WAIT_MS, Math.max(0, intQuery(query, "wait") ?? 0));
  const wanted = (m: SentMessage) => (after === undefined || m.message_id > after) && (since === undefined || m.seq > since);

  let found = fake.sent(chatId).filter(wanted);
  if (found.length === 0 && wait > 0) {
    try {
      await fake.waitForMessage(chatId, wanted, wait);
    } catch {
      // Nothing arrived in time (or the server is closing): an empty answer, as a long poll gives.
    }
    found = fake.sent(chatId).filter(wanted);
  }
  const all = fake.sent(chatId);
  const last = all[all.length - 1];
  return {
    messages: found.map(withoutFileContent),
    lastSeq: last?.seq ?? 0,
    lastMessageId: all.reduce((max, m) => Math.max(max, m.message_id), 0),
  };
}

function withoutFileContent(m: SentMessage): SentMessage {
  if (!m.document?.content) return m;
  const { content: _content, ...document } = m.document;
  return { ...m, document };
}

function userOf(body: Record<string, unknown>): FakeUser {
  const user = isRecord(body.user) ? body.user : undefined;
  if (!user || typeof user.id !== "number" || !Number.isSafeInteger(user.id) || typeof user.first_name !== "string") {
    throw new ControlError(400, "user needs a numeric id and a first_name");
  }
  const result: FakeUser = { id: user.id, first_name: user.first_name };
  for (const key of ["last_name", "username", "language_code"] as const) {
    const value = user[key];
    if (typeof value === "string") result[key] = value;
  }
  return result;
}

function chatIdOf(body: Record<string, unknown>): { chatId?: number } {
  if (body.chatId === undefined) return {};
  if (typeof body.chatId !== "number" || !Number.isSafeInteger(body.chatId)) throw new ControlError(400, "chatId must be an integer");
  return { chatId: body.chatId };
}

function intQuery(query: URLSearchParams, key: string): number | undefined {
  const value = query.get(key);
  if (value === null || value === "") return undefined;
  if (!/^-?\d+$/.test(value)) throw new ControlError(400, `${key} must be an integer`);
  return Number(value);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Buffers: nothing set an encoding on it.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new ControlError(413, "control request body too large");
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    const value = parseJson(text);
    if (isRecord(value)) return value;
  } catch {
    // reported below
  }
  throw new ControlError(400, "body must be a JSON object");
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const body = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The Bot API's wire format for the fake server: request parameters in (query string, JSON, urlencoded
 * or multipart, as Telegram accepts them), JSON answers out, and the error answer every method throws.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeApiError } from "./fake-telegram-types.js";
import { MultipartError, parseMultipart, type MultipartFile } from "./fake-telegram-multipart.js";
import { isRecord, parseJson } from "../guards.js";

export type Params = Record<string, unknown>;

/** An error answer of the Bot API; thrown by method handlers. */
export class ApiFailure extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

/** A 400 in Telegram's words: `bad("message is too long")` answers "Bad Request: message is too long". */
export const bad = (what: string) => new ApiFailure(400, `Bad Request: ${what}`);

/** Telegram's limit on a whole upload request (sendDocument and sendPhoto take files up to 50 MB). */
export const MAX_BODY_BYTES = 50 * 1024 * 1024;

export const unixNow = () => Math.floor(Date.now() / 1000);

/** JSON with sorted keys, so that equal keyboards compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

// Parameters arrive as JSON values, or as strings from multipart, urlencoded or query-string requests.

export function intParam(p: Params, key: string): number | undefined {
  const v = p[key];
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

export function strParam(p: Params, key: string): string | undefined {
  const v = p[key];
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

export function boolParam(p: Params, key: string): boolean {
  const v = p[key];
  return v === true || v === "true" || v === "1" || v === 1;
}

export function jsonParam(p: Params, key: string, errorText: string): unknown {
  const v = p[key];
  if (typeof v !== "string") return v ?? undefined;
  try {
    return parseJson(v);
  } catch {
    throw bad(errorText);
  }
}

export function requireChatId(p: Params): number {
  if (p.chat_id === undefined || p.chat_id === null || p.chat_id === "") throw bad("chat_id is empty");
  const id = intParam(p, "chat_id");
  // "@channelname" and other non-numeric ids: the fake knows no public usernames.
  if (id === undefined) throw bad("chat not found");
  return id;
}

export function writeJson(res: ServerResponse, status: number, payload: unknown, closeConnection = false): void {
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

export function errorPayload(e: ApiFailure) {
  return {
    ok: false,
    error_code: e.code,
    description: e.description,
    ...(e.retryAfter !== undefined ? { parameters: { retry_after: e.retryAfter } } : {}),
  };
}

export function failureToApiFailure(f: FakeApiError): ApiFailure {
  const description = f.description || (f.code === 429 ? `Too Many Requests: retry after ${f.retry_after ?? 1}` : "Error");
  // A 429 without retry_after would be unlike Telegram and stall auto-retry logic oddly: default to 1 s.
  const retryAfter = f.retry_after ?? (f.code === 429 ? 1 : undefined);
  return new ApiFailure(f.code, description, retryAfter);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // A request without setEncoding yields Buffers.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiFailure(413, "Request Entity Too Large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readParams(req: IncomingMessage, url: URL): Promise<{ params: Params; files: Map<string, MultipartFile> }> {
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
export function describeParams(params: Params, files: Map<string, MultipartFile>): Params {
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

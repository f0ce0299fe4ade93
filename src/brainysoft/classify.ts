/**
 * Pure classification of one Brainysoft `POST /main/leads` answer (HTTP status + body text), per
 * the contract's table. No I/O, no secrets: details carry only the HTTP status, an
 * identifier-like error code and a short reason, never free text from the body (it can echo
 * names or phone numbers).
 *
 * One rule goes beyond the table: a 2xx we cannot read as a created lead (empty, not JSON, too big,
 * cut off, "ok" without an id) is "unconfirmed". The core may have created the lead, so sending it
 * again could make a second one: it is held for a human, never re-sent automatically.
 */
import { isRecord } from "../guards.js";

export type LeadField = "firstName" | "mobilePhone";

export type Classification =
  | { kind: "created"; leadId: number }
  | { kind: "field-error"; field: LeadField }
  | { kind: "auth"; detail: string }
  | { kind: "transient"; detail: string }
  | { kind: "rejected"; detail: string }
  /** A 2xx that does not say which lead it created: maybe created, hold for a human. */
  | { kind: "unconfirmed"; detail: string };

/** Why a body that came with a status could not be read (see the client's body cap and deadline). */
export type UnreadableBody = "too-big" | "cut-off";

/** Documented codes; firstName first, so a body naming both asks for the name first. */
const FIELD_CODES: ReadonlyArray<readonly [string, LeadField]> = [
  ["NO_CLIENT_FIRST_NAME_ERROR", "firstName"],
  ["NO_MOBILE_PHONE_ERROR", "mobilePhone"],
];

const MAX_DEPTH = 8;

function walkStrings(value: unknown, visit: (s: string, key: string | undefined) => boolean, key?: string, depth = 0): boolean {
  if (typeof value === "string") return visit(value, key);
  if (depth >= MAX_DEPTH || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => walkStrings(v, visit, key, depth + 1));
  return Object.entries(value).some(([k, v]) => walkStrings(v, visit, k, depth + 1));
}

/** Finds a documented field-error code anywhere in the body's strings (nested, inside messages too). */
export function findFieldError(body: unknown): LeadField | undefined {
  for (const [code, field] of FIELD_CODES) {
    if (walkStrings(body, (s) => s.includes(code))) return field;
  }
  return undefined;
}

/** A lead id is a positive safe integer, as a JSON number or a string of digits. */
export function parseLeadId(data: unknown): number | undefined {
  const n = typeof data === "number" ? data : typeof data === "string" && /^\s*\d{1,16}\s*$/.test(data) ? Number(data) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** First identifier-like string under a code/errorCode/error key: safe to show to admins. */
function errorCode(body: unknown): string | undefined {
  let found: string | undefined;
  walkStrings(body, (s, key) => {
    if (key !== undefined && /^(code|errorCode|error)$/i.test(key) && /^[A-Za-z][A-Za-z0-9_.:-]{1,63}$/.test(s)) found = s;
    return found !== undefined;
  });
  return found;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;
const isRedirect = (status: number): boolean => status >= 300 && status < 400;

/**
 * An answer whose body tells nothing (empty, not the core's JSON, unreadable), by its status alone.
 * 2xx: maybe created. 3xx (never followed: a POST with personal data goes only where configured)
 * and a 404 page: the request did not reach the core's lead handler, so nothing was created; they
 * come from a wrong BRAINYSOFT_URL or a proxy, like an outage: keep the lead and retry (admins get
 * the outage alert). Any other 4xx is a refusal that a resend would only repeat.
 */
function byStatusAlone(status: number, detail: string): Classification {
  if (status === 401 || status === 403) return { kind: "auth", detail: `HTTP ${status}` };
  if (isSuccess(status)) return { kind: "unconfirmed", detail };
  if (isTransientStatus(status) || isRedirect(status) || status === 404 || status < 200) return { kind: "transient", detail };
  return { kind: "rejected", detail };
}

/**
 * `redirectTo`: the Location header of a 3xx, shown to admins by its origin only (a query could
 * carry anything).
 */
export function classifyLeadResponse(status: number, bodyText: string, redirectTo?: string): Classification {
  const http = `HTTP ${status}`;
  if (status === 401 || status === 403) return { kind: "auth", detail: http };
  // Never followed (personal data goes only where configured); the request did not reach the lead handler.
  if (isRedirect(status)) return { kind: "transient", detail: `${http} redirect${originOf(redirectTo)}, not followed` };

  const body = parseJsonObject(bodyText);
  if (body === undefined) {
    // Not the core's JSON envelope: a proxy, a maintenance page, an empty answer; a raw documented code still counts.
    const field = findFieldError(bodyText);
    if (field !== undefined) return { kind: "field-error", field };
    return byStatusAlone(status, `${http} ${bodyText.trim() === "" ? "empty body" : "non-JSON body"}`);
  }

  const ok = typeof body.status === "string" && body.status.toLowerCase() === "ok";
  const leadId = parseLeadId(body.data);
  if (isSuccess(status) && ok && leadId !== undefined) return { kind: "created", leadId };

  const field = findFieldError(body);
  if (field !== undefined) return { kind: "field-error", field };

  const code = errorCode(body);
  const detail = code === undefined ? http : `${http} ${code}`;
  if (isTransientStatus(status)) return { kind: "transient", detail };
  if (status >= 400) return { kind: "rejected", detail };
  if (!isSuccess(status)) return { kind: "transient", detail: `${detail} unexpected status` };
  // The core said it failed: nothing was created, and a resend would be refused the same way.
  if (typeof body.status === "string" && !ok) return { kind: "rejected", detail: `${detail} status not ok` };
  // 2xx, "ok" (or no status at all) but no lead id: the core may well have created the lead.
  const what = ok ? "ok without lead id" : "no status";
  return { kind: "unconfirmed", detail: `${detail} ${what} (data: ${describeType(body.data)})` };
}

/**
 * An answer whose status came but whose body could not be read whole: over the size cap, or cut off
 * (connection reset, time limit) mid-body. A 2xx is maybe created. Otherwise a body cut off is worth
 * reading again (the core refused, so a resend duplicates nothing), while a body too big is judged
 * as one that is not JSON.
 */
export function classifyUnreadableBody(status: number, why: UnreadableBody, detail: string): Classification {
  const text = `HTTP ${status} ${detail}`;
  if (why === "cut-off" && !isSuccess(status) && status !== 401 && status !== 403) return { kind: "transient", detail: text };
  return byStatusAlone(status, text);
}

function originOf(location: string | undefined): string {
  if (location === undefined) return "";
  try {
    return ` to ${new URL(location).origin}`;
  } catch {
    return ""; // relative or malformed: the status says enough
  }
}

function describeType(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

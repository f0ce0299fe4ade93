/**
 * Pure classification of one Brainysoft `POST /main/leads` answer (HTTP status + body text), per
 * the contract's table. No I/O, no secrets: details carry only the HTTP status, an
 * identifier-like error code and a short reason, never free text from the body (it can echo
 * names or phone numbers).
 */

export type LeadField = "firstName" | "mobilePhone";

export type Classification =
  | { kind: "created"; leadId: number }
  | { kind: "field-error"; field: LeadField }
  | { kind: "auth"; detail: string }
  | { kind: "transient"; detail: string }
  | { kind: "rejected"; detail: string };

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
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function classifyLeadResponse(status: number, bodyText: string): Classification {
  const http = `HTTP ${status}`;
  if (status === 401 || status === 403) return { kind: "auth", detail: http };

  const body = parseJsonObject(bodyText);
  if (body === undefined) {
    // Not the core's JSON envelope: a proxy, a maintenance page, an empty answer. Nothing can be
    // concluded about the lead, so keep it and retry (a raw documented code still counts).
    const field = findFieldError(bodyText);
    if (field !== undefined) return { kind: "field-error", field };
    return { kind: "transient", detail: `${http} ${bodyText.trim() === "" ? "empty body" : "non-JSON body"}` };
  }

  const ok = typeof body.status === "string" && body.status.toLowerCase() === "ok";
  const leadId = parseLeadId(body.data);
  if (status >= 200 && status < 300 && ok && leadId !== undefined) return { kind: "created", leadId };

  const field = findFieldError(body);
  if (field !== undefined) return { kind: "field-error", field };

  const code = errorCode(body);
  const detail = code === undefined ? http : `${http} ${code}`;
  if (isTransientStatus(status)) return { kind: "transient", detail };
  if (status >= 400) return { kind: "rejected", detail };
  if (status >= 300 || status < 200) return { kind: "transient", detail: `${detail} unexpected status` };
  if (!ok) return { kind: "rejected", detail: `${detail} status not ok` };
  // 2xx + "ok" but no lead id. The core may well have created the lead, so a retry could
  // duplicate it, and an API that always answers this way would duplicate on every retry.
  // Rejected = no automatic retry, admins alerted, the lead stays in our store for a human.
  return { kind: "rejected", detail: `${detail} ok without lead id (data: ${describeType(body.data)})` };
}

function describeType(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

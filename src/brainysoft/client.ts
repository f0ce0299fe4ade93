/**
 * Brainysoft core API client on undici: creates leads, logs in when configured, classifies every
 * outcome (see classify.ts) and never throws for API or network trouble.
 */
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import type { Dispatcher } from "undici";
import type { Logger } from "pino";
import { brainysoftSecrets } from "../logger.js";
import { classifyLeadResponse } from "./classify.js";
import type { Classification } from "./classify.js";

export type BrainysoftAuth =
  | { kind: "token"; token: string }
  | { kind: "login"; userName: string; password: string; customerKey: string };

export interface LeadPayload { firstName: string; mobilePhone: string; lastName?: string | undefined }

export type CreateLeadResult =
  | { kind: "created"; leadId: number; status: number; latencyMs: number }
  | { kind: "field-error"; field: "firstName" | "mobilePhone"; status: number; latencyMs: number }
  | { kind: "auth"; status: number; latencyMs: number; detail: string }
  | { kind: "transient"; status?: number | undefined; latencyMs: number; detail: string }
  | { kind: "rejected"; status?: number | undefined; latencyMs: number; detail: string };

export interface BrainysoftClientOptions {
  /** Whole base incl. the bs-core prefix, e.g. https://acme-saas.brainysoft.ru:9025/bs-core. */
  baseUrl: string;
  auth: BrainysoftAuth;
  /** Per HTTP request, headers and body together. */
  timeoutMs: number;
  /** Lead requests the caller runs at once (BRAINYSOFT_CONCURRENCY); the pool keeps that many connections and more. */
  concurrency?: number | undefined;
  /** Merged into every lead body; the lead's own fields always win. */
  extraFields?: Record<string, unknown> | undefined;
  /** One line per HTTP call: op, outcome, status, latency, attempt. Never secrets or personal data. */
  log?: Logger | undefined;
  /** Allows injecting an undici Dispatcher (MockAgent in unit tests); default: own Agent with keep-alive. */
  dispatcher?: Dispatcher | undefined;
}

export interface BrainysoftClient {
  /** Never throws for API/network outcomes. */
  createLead(lead: LeadPayload): Promise<CreateLeadResult>;
  /** Cheap reachability probe for readiness: any HTTP answer from the server = reachable. */
  ping(): Promise<{ reachable: boolean; latencyMs: number; detail?: string }>;
  close(): Promise<void>;
}

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; text: string } | { error: string };
/** A classified call, before the caller's total latency is attached. */
type Outcome = Classification & { status?: number | undefined };
type TokenResult = { token: string } | { failure: Outcome };

/**
 * Keep-alive connections beyond the concurrent lead requests, for log-ins and readiness pings: a request
 * waiting in undici's queue for a connection would spend its time limit there.
 */
const SPARE_CONNECTIONS = 4;

const elapsed = (since: number): number => Math.round(performance.now() - since);

/** Log-in answer: the token from the `bsauth` response header, or why there is none. */
function loginResult(reply: Reply): TokenResult {
  if ("error" in reply) return { failure: { kind: "transient", detail: `login: ${reply.error}` } };
  const { status } = reply;
  const header = reply.headers["bsauth"];
  const token = Array.isArray(header) ? header[0] : header;
  if (status >= 200 && status < 300 && token !== undefined && token !== "") return { token };
  if (status === 408 || status === 429 || status >= 500) {
    return { failure: { kind: "transient", status, detail: `login: HTTP ${status}` } };
  }
  // Wrong credentials or customer key, or an answer without a token: a human must look.
  const why = status >= 200 && status < 300 ? " without bsauth header" : "";
  return { failure: { kind: "auth", status, detail: `login: HTTP ${status}${why}` } };
}

export function createBrainysoftClient(options: BrainysoftClientOptions): BrainysoftClient {
  const base = new URL(options.baseUrl.replace(/\/+$/, "")).toString().replace(/\/+$/, "");
  const { auth, timeoutMs, log } = options;
  const ownDispatcher = options.dispatcher === undefined
    ? new Agent({
      connections: (options.concurrency ?? 4) + SPARE_CONNECTIONS,
      // Backstops only: the per-request deadline in send() is what callers see.
      headersTimeout: timeoutMs + 1000,
      bodyTimeout: timeoutMs + 1000,
    })
    : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? ownDispatcher!;

  const secrets = brainysoftSecrets(auth);
  const tokens = new Set<string>(); // issued by log-in
  /** Defence in depth: whatever a detail was built from, no secret leaves in it. */
  const redact = (s: string): string => [...secrets, ...tokens]
    .filter((secret) => secret.length >= 3)
    .reduce((acc, secret) => acc.split(secret).join("***"), s);

  async function send(method: Dispatcher.HttpMethod, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    // One deadline for the headers and the whole body read (a server may send headers, then hang).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await request(`${base}${path}`, { method, headers, body, signal: controller.signal, dispatcher });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      if (controller.signal.aborted) return { error: `timeout after ${timeoutMs}ms` };
      const e = err as { code?: unknown; name?: unknown };
      return { error: `network error ${typeof e.code === "string" ? e.code : String(e.name ?? "unknown")}` };
    } finally {
      clearTimeout(timer);
    }
  }

  function logCall(op: "createLead" | "login", attempt: number, outcome: Outcome | { kind: "ok"; status: number | undefined }, latencyMs: number): void {
    if (log === undefined) return;
    const line: Record<string, unknown> = { op, outcome: outcome.kind, status: outcome.status, latencyMs, attempt };
    if (outcome.kind === "created") line.leadId = outcome.leadId;
    if (outcome.kind === "field-error") line.field = outcome.field;
    if ("detail" in outcome) line.detail = redact(outcome.detail);
    if (outcome.kind === "created" || outcome.kind === "ok") log.info(line, "brainysoft call");
    else log.warn(line, "brainysoft call");
  }

  // ---- log-in mode: one cached token, one shared in-flight login ----
  let cachedToken: string | undefined;
  let loginInFlight: Promise<TokenResult> | undefined;

  async function login(attempt: number): Promise<TokenResult> {
    if (auth.kind !== "login") throw new Error("login() without log-in credentials");
    cachedToken = undefined;
    const started = performance.now();
    const reply = await send("POST", "/main/login",
      { "content-type": "application/json", "customer-key": auth.customerKey },
      JSON.stringify({ userName: auth.userName, password: auth.password }));
    const result = loginResult(reply);
    if ("token" in result) {
      tokens.add(result.token);
      cachedToken = result.token;
    }
    const status = "status" in reply ? reply.status : undefined;
    logCall("login", attempt, "token" in result ? { kind: "ok", status } : result.failure, elapsed(started));
    return result;
  }

  /** The cached token, unless it is `stale` (just refused): then one shared login. */
  function getToken(attempt: number, stale?: string): Promise<TokenResult> {
    if (auth.kind === "token") return Promise.resolve({ token: auth.token });
    if (cachedToken !== undefined && cachedToken !== stale) return Promise.resolve({ token: cachedToken });
    loginInFlight ??= login(attempt).finally(() => { loginInFlight = undefined; });
    return loginInFlight;
  }

  async function postLead(body: string, token: string, attempt: number): Promise<Outcome> {
    const started = performance.now();
    const reply = await send("POST", "/main/leads", { "content-type": "application/json", bsauth: token }, body);
    const outcome: Outcome = "error" in reply
      ? { kind: "transient", detail: reply.error }
      : { ...classifyLeadResponse(reply.status, reply.text), status: reply.status };
    logCall("createLead", attempt, outcome, elapsed(started));
    return outcome;
  }

  function finish(o: Outcome, started: number): CreateLeadResult {
    const latencyMs = elapsed(started);
    switch (o.kind) {
      case "created": return { kind: "created", leadId: o.leadId, status: o.status ?? 0, latencyMs };
      case "field-error": return { kind: "field-error", field: o.field, status: o.status ?? 0, latencyMs };
      case "auth": return { kind: "auth", status: o.status ?? 0, latencyMs, detail: redact(o.detail) };
      default: return { kind: o.kind, status: o.status, latencyMs, detail: redact(o.detail) };
    }
  }

  return {
    async createLead(lead) {
      const started = performance.now();
      const body = JSON.stringify({
        ...options.extraFields,
        firstName: lead.firstName,
        mobilePhone: lead.mobilePhone,
        ...(lead.lastName !== undefined ? { lastName: lead.lastName } : {}),
      });
      const first = await getToken(1);
      if ("failure" in first) return finish(first.failure, started);
      const outcome = await postLead(body, first.token, 1);
      if (outcome.kind !== "auth" || auth.kind !== "login") return finish(outcome, started);
      // Token refused: log in again once (shared with concurrent callers) and repeat once.
      const second = await getToken(2, first.token);
      if ("failure" in second) return finish(second.failure, started);
      return finish(await postLead(body, second.token, 2), started);
    },

    async ping() {
      const started = performance.now();
      const reply = await send("GET", "/", {});
      const latencyMs = elapsed(started);
      if ("error" in reply) return { reachable: false, latencyMs, detail: reply.error };
      return { reachable: true, latencyMs, detail: `HTTP ${reply.status}` };
    },

    async close() {
      await ownDispatcher?.close();
    },
  };
}

/**
 * Brainysoft core API client on undici: creates leads, logs in when configured, classifies every
 * outcome (see classify.ts) and never throws for API or network trouble. An answer's body is read
 * within the request's time limit and up to a size cap; the readiness ping runs on its own small
 * connection pool, so probes never take a connection a lead needs.
 */
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import type { Dispatcher } from "undici";
import type { Logger } from "pino";
import { brainysoftSecrets, type BrainysoftAuth } from "../config.js";
import { classifyLeadResponse, classifyUnreadableBody } from "./classify.js";
import type { Classification, UnreadableBody } from "./classify.js";
import { createSharedProbe, type ProbeResult } from "./shared-probe.js";

export interface LeadPayload {
  firstName: string;
  mobilePhone: string;
  lastName?: string | undefined;
}

export type CreateLeadResult =
  | { kind: "created"; leadId: number; status: number; latencyMs: number }
  | { kind: "field-error"; field: "firstName" | "mobilePhone"; status: number; latencyMs: number }
  | { kind: "auth"; status: number; latencyMs: number; detail: string }
  | { kind: "transient"; status?: number | undefined; latencyMs: number; detail: string }
  | { kind: "rejected"; status?: number | undefined; latencyMs: number; detail: string }
  /** A 2xx that names no lead (empty, not JSON, too big, cut off, no id): maybe created, never re-sent automatically. */
  | { kind: "unconfirmed"; status?: number | undefined; latencyMs: number; detail: string };

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
  /** For the readiness ping; default: its own small Agent (or `dispatcher` when that is injected). */
  pingDispatcher?: Dispatcher | undefined;
  /** Larger answers are not read: a lead answer is a few hundred bytes. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** How long a ping's result is reused, so that frequent probes do not each call. Default 5 s. */
  pingCacheMs?: number | undefined;
  /** Monotonic milliseconds, for the ping cache. Default performance.now. */
  now?: (() => number) | undefined;
}

export interface BrainysoftClient {
  /** Never throws for API/network outcomes. */
  createLead(lead: LeadPayload): Promise<CreateLeadResult>;
  /**
   * Cheap reachability probe for readiness: any HTTP answer from the server = reachable. Its result
   * is reused for `pingCacheMs`, concurrent callers share one call, and it never uses the lead
   * connections. `signal` ends this caller's wait (rejecting with its reason); the call itself is
   * cancelled once no caller waits for it.
   */
  ping(signal?: AbortSignal): Promise<ProbeResult>;
  close(): Promise<void>;
}

type ResponseHeaders = Record<string, string | string[] | undefined>;
/** An answer read whole; or one whose body could not be (`unreadable`, with why); or none at all (`error`). */
type Reply =
  | { status: number; headers: ResponseHeaders; text: string }
  | { status: number; headers: ResponseHeaders; unreadable: UnreadableBody; why: string }
  | { error: string };
/** A classified call, before the caller's total latency is attached. */
type Outcome = Classification & { status?: number | undefined };
type TokenResult = { token: string } | { failure: Outcome };

/**
 * Keep-alive connections beyond the concurrent lead requests, for log-ins: a request waiting in
 * undici's queue for a connection would spend its time limit there.
 */
const SPARE_CONNECTIONS = 4;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const elapsed = (since: number): number => Math.round(performance.now() - since);
const headerOf = (headers: ResponseHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};
const errorName = (err: unknown): string => {
  const e = (err ?? {}) as { code?: unknown; name?: unknown }; // whatever was thrown: only its code or name is read
  return typeof e.code === "string" ? e.code : String(e.name ?? "unknown");
};

type ResponseBody = Dispatcher.ResponseData["body"];

/** Throws away a body without reading it (its connection closes). */
function discard(body: ResponseBody): void {
  body.on("error", () => undefined); // destroying an unread body emits an abort error: expected here
  body.destroy();
}

/**
 * The body as text, or undefined when it is larger than `cap` (by its Content-Length, or once that
 * many bytes have come): the rest is never read. Throws when the body is cut off (reset, abort).
 */
async function readCapped(body: ResponseBody, cap: number, contentLength: string | undefined): Promise<string | undefined> {
  if (Number(contentLength) > cap) {
    discard(body);
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer; // undici's body yields Buffers (no encoding is set)
    size += bytes.length;
    if (size > cap) {
      discard(body);
      return undefined;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Log-in answer: the token from the `bsauth` response header, or why there is none. */
function loginResult(reply: Reply): TokenResult {
  if ("error" in reply) return { failure: { kind: "transient", detail: `login: ${reply.error}` } };
  // The token is in a header: a log-in answer's body, read or not, does not matter.
  const { status } = reply;
  const token = headerOf(reply.headers, "bsauth");
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
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Backstops only: the per-request deadline in send() is what callers see.
  const backstops = { headersTimeout: timeoutMs + 1000, bodyTimeout: timeoutMs + 1000 };
  const owned: Agent[] = [];
  const own = (connections: number): Agent => {
    const agent = new Agent({ connections, ...backstops });
    owned.push(agent);
    return agent;
  };
  const dispatcher: Dispatcher = options.dispatcher ?? own((options.concurrency ?? 4) + SPARE_CONNECTIONS);
  // Readiness probes get their own pool: a storm of them, or a hanging ping, never delays a lead. Two
  // connections: one ping at a time (shared), and room while a cancelled one's socket closes.
  const pingDispatcher: Dispatcher = options.pingDispatcher ?? options.dispatcher ?? own(2);

  const secrets = brainysoftSecrets(auth);
  const tokens = new Set<string>(); // issued by log-in
  /** Defence in depth: whatever a detail was built from, no secret leaves in it. */
  const redact = (s: string): string =>
    [...secrets, ...tokens].filter((secret) => secret.length >= 3).reduce((acc, secret) => acc.split(secret).join("***"), s);

  /**
   * One deadline for the headers and the whole body read (a server may send headers, then hang or
   * trickle). `readBody: false` throws the body away (a ping needs the status only).
   */
  async function send(
    method: Dispatcher.HttpMethod,
    path: string,
    headers: Record<string, string>,
    body?: string,
    via: { dispatcher: Dispatcher; readBody: boolean; signal?: AbortSignal } = { dispatcher, readBody: true },
  ): Promise<Reply> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const cancel = () => controller.abort();
    via.signal?.addEventListener("abort", cancel, { once: true });
    const why = (err: unknown) =>
      controller.signal.aborted
        ? via.signal?.aborted === true
          ? "cancelled"
          : `timeout after ${timeoutMs}ms`
        : `network error ${errorName(err)}`;
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(`${base}${path}`, { method, headers, body, signal: controller.signal, dispatcher: via.dispatcher });
      } catch (err) {
        return { error: why(err) };
      }
      const answer = { status: res.statusCode, headers: res.headers };
      if (!via.readBody) {
        discard(res.body);
        return { ...answer, text: "" };
      }
      try {
        const text = await readCapped(res.body, maxBodyBytes, headerOf(res.headers, "content-length"));
        if (text === undefined) return { ...answer, unreadable: "too-big", why: `body over ${maxBodyBytes} bytes, not read` };
        return { ...answer, text };
      } catch (err) {
        return { ...answer, unreadable: "cut-off", why: `body cut off: ${why(err)}` };
      }
    } finally {
      clearTimeout(timer);
      via.signal?.removeEventListener("abort", cancel);
    }
  }

  function logCall(
    op: "createLead" | "login",
    attempt: number,
    outcome: Outcome | { kind: "ok"; status: number | undefined },
    latencyMs: number,
  ): void {
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
    const reply = await send(
      "POST",
      "/main/login",
      { "content-type": "application/json", "customer-key": auth.customerKey },
      JSON.stringify({ userName: auth.userName, password: auth.password }),
    );
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
    loginInFlight ??= login(attempt).finally(() => {
      loginInFlight = undefined;
    });
    return loginInFlight;
  }

  async function postLead(body: string, token: string, attempt: number): Promise<Outcome> {
    const started = performance.now();
    const reply = await send("POST", "/main/leads", { "content-type": "application/json", bsauth: token }, body);
    const outcome: Outcome =
      "error" in reply
        ? { kind: "transient", detail: reply.error }
        : "unreadable" in reply
          ? { ...classifyUnreadableBody(reply.status, reply.unreadable, reply.why), status: reply.status }
          : { ...classifyLeadResponse(reply.status, reply.text, headerOf(reply.headers, "location")), status: reply.status };
    logCall("createLead", attempt, outcome, elapsed(started));
    return outcome;
  }

  function finish(o: Outcome, started: number): CreateLeadResult {
    const latencyMs = elapsed(started);
    switch (o.kind) {
      case "created":
        return { kind: "created", leadId: o.leadId, status: o.status ?? 0, latencyMs };
      case "field-error":
        return { kind: "field-error", field: o.field, status: o.status ?? 0, latencyMs };
      case "auth":
        return { kind: "auth", status: o.status ?? 0, latencyMs, detail: redact(o.detail) };
      default:
        return { kind: o.kind, status: o.status, latencyMs, detail: redact(o.detail) };
    }
  }

  const ping = createSharedProbe(
    async (signal) => {
      const started = performance.now();
      const reply = await send("GET", "/", {}, undefined, { dispatcher: pingDispatcher, readBody: false, signal });
      const latencyMs = elapsed(started);
      if ("error" in reply) return { reachable: false, latencyMs, detail: reply.error };
      return { reachable: true, latencyMs, detail: `HTTP ${reply.status}` };
    },
    { cacheMs: options.pingCacheMs ?? 5_000, now: options.now ?? (() => performance.now()) },
  );

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

    ping,

    async close() {
      await Promise.all(owned.map((agent) => agent.close()));
    },
  };
}

/**
 * A mock Brainysoft core over real HTTP on 127.0.0.1 (random port), for end-to-end tests, the demo
 * sandbox and benchmarks. Routes under /bs-core: POST /main/login, POST /main/leads; else 404 JSON
 * (a GET there is what the bot's readiness ping asks, counted in `pings`). Faults and forced field
 * errors apply to lead requests only; `setPingFault` is the ping's own.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isRecord, parseJson } from "../guards.js";

/** Token accepted when neither `token` nor `login` is given. */
export const MOCK_DEFAULT_TOKEN = "mock-token";

export interface MockBrainysoftOptions {
  token?: string;
  login?: { userName: string; password: string; customerKey: string; issuedToken?: string };
  firstId?: number;
}
/**
 * What a lead request is answered with. Besides outages and refusals, the answers a broken proxy or
 * core gives: an empty 200, a 5 MB 200, a redirect, a 400 without a body, a connection reset half
 * way through the body (status from `opts.status`), headers then a body that never comes, and a
 * created lead's answer trickled one byte per `slowMs` (the lead IS created).
 */
export type MockFault =
  | "none"
  | "http500"
  | "http503"
  | "slow"
  | "hang"
  | "non-json"
  | "unauthorized"
  | "reject400"
  | "empty200"
  | "huge200"
  | "redirect302"
  | "empty400"
  | "reset-mid-body"
  | "hang-body"
  | "trickle";

/** Size of the "huge200" answer. */
export const HUGE_BODY_BYTES = 5 * 1024 * 1024;
export const REDIRECT_TARGET = "https://login.example.com/sso?return=%2Fbs-core%2Fmain%2Fleads";
export interface ReceivedLead {
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  id?: number;
  at: number;
}
export interface MockBrainysoft {
  baseUrl: string;
  /** Every POST /main/leads that reached the handler, including failed ones. */
  received: ReceivedLead[];
  /** Only those that got an id. */
  created: ReceivedLead[];
  /**
   * `times`: the fault applies to the next N lead requests only, then "none"; default: until changed.
   * `slowMs`: the delay of "slow", and per byte of "trickle" (default 1000). `status`: of "reset-mid-body" (default 200).
   */
  setFault(fault: MockFault, opts?: { slowMs?: number; times?: number; status?: number }): void;
  /** "hang": readiness pings (GET) get no answer until the bot gives up or the mock closes. */
  setPingFault(fault: "none" | "hang"): void;
  /** GET requests received (the bot's readiness pings). */
  readonly pings: number;
  /** GET requests still open (a hanging ping the bot has not cancelled). */
  readonly openPings: number;
  /** Answer the documented error for the given field on otherwise valid requests (next N, default until cleared). */
  setFieldError(field: "firstName" | "mobilePhone" | undefined, times?: number): void;
  /** Log-in mode: currently issued tokens become invalid. */
  revokeTokens(): void;
  /** Count of successful logins. */
  readonly logins: number;
  waitForCreated(count: number, timeoutMs?: number): Promise<ReceivedLead[]>;
  /** Also closes hanging connections. */
  close(): Promise<void>;
}

const PREFIX = "/bs-core";
const FIELD_CODES = { firstName: "NO_CLIENT_FIRST_NAME_ERROR", mobilePhone: "NO_MOBILE_PHONE_ERROR" } as const;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8", ...headers });
  res.end(JSON.stringify(body));
}
const envelope = (status: "ok" | "error", data: unknown) => ({ status, timestamp: Date.now(), data });
const error = (code: string, message: string) => envelope("error", { code, message });

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer); // Buffers: nothing set an encoding on it
  try {
    const v = parseJson(Buffer.concat(chunks).toString("utf8"));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const isFilled = (v: unknown): boolean => typeof v === "string" && v.trim() !== "";

export async function startMockBrainysoft(options: MockBrainysoftOptions = {}): Promise<MockBrainysoft> {
  const staticToken = options.token ?? (options.login === undefined ? MOCK_DEFAULT_TOKEN : undefined);
  const sessions = new Set<string>();
  let nextId = options.firstId ?? 1000;
  let logins = 0;
  let fault: { kind: MockFault; slowMs: number; times: number; status: number } = { kind: "none", slowMs: 0, times: Infinity, status: 200 };
  let pingFault: "none" | "hang" = "none";
  let pings = 0;
  let openPings = 0;
  let fieldError: { field: "firstName" | "mobilePhone" | undefined; times: number } = { field: undefined, times: 0 };
  const received: ReceivedLead[] = [];
  const created: ReceivedLead[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  function takeFault(): { kind: MockFault; slowMs: number; status: number } {
    const current = fault;
    if (current.kind !== "none" && --current.times <= 0) fault = { kind: "none", slowMs: 0, times: Infinity, status: 200 };
    return current;
  }

  /** A created lead's answer, one byte per `perByteMs`, until done or the client hangs up. */
  function trickle(res: ServerResponse, text: string, perByteMs: number): void {
    res.writeHead(200, { "content-type": "application/json;charset=UTF-8", "content-length": String(Buffer.byteLength(text)) });
    const bytes = Buffer.from(text);
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return stop();
      res.write(bytes.subarray(sent, sent + 1));
      if (++sent === bytes.length) {
        res.end();
        stop();
      }
    }, perByteMs);
    const stop = () => {
      clearInterval(timer);
      timers.delete(timer);
    };
    timers.add(timer);
    res.once("close", stop);
  }

  function takeFieldError(): "firstName" | "mobilePhone" | undefined {
    const { field } = fieldError;
    if (field !== undefined && --fieldError.times <= 0) fieldError = { field: undefined, times: 0 };
    return field;
  }

  function handleLogin(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined): void {
    const l = options.login;
    const ok =
      l !== undefined &&
      headerValue(req.headers["customer-key"]) === l.customerKey &&
      body?.userName === l.userName &&
      body.password === l.password;
    if (!ok) {
      sendJson(res, 401, error("AUTH_ERROR", "Invalid user name, password or customer key"));
      return;
    }
    logins += 1;
    const base = l.issuedToken ?? "mock-session";
    const token = logins === 1 && l.issuedToken !== undefined ? base : `${base}-${logins}`;
    sessions.add(token);
    sendJson(res, 200, envelope("ok", { userName: l.userName }), { bsauth: token });
  }

  async function handleLead(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined): Promise<void> {
    const lead: ReceivedLead = { body: body ?? {}, headers: { ...req.headers }, at: Date.now() };
    received.push(lead);
    const f = takeFault();
    switch (f.kind) {
      case "http500":
        return sendJson(res, 500, error("INTERNAL_ERROR", "Internal server error"));
      case "http503":
        res.writeHead(503, { "content-type": "text/html" });
        return void res.end(
          "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>",
        );
      case "non-json":
        res.writeHead(200, { "content-type": "text/html" });
        return void res.end("<html><body>Технические работы / maintenance</body></html>");
      case "unauthorized":
        return sendJson(res, 401, error("UNAUTHORIZED", "Unauthorized"));
      case "reject400":
        return sendJson(res, 400, error("VALIDATION_ERROR", "Lead rejected by validation"));
      case "hang":
        return; // no answer at all, until the client gives up
      case "hang-body":
        // Headers out, body never: the client's time limit must cover the body too.
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        return;
      case "empty200":
        res.writeHead(200, { "content-length": "0" });
        return void res.end();
      case "huge200":
        res.writeHead(200, { "content-type": "text/plain", "content-length": String(HUGE_BODY_BYTES) });
        return void res.end(Buffer.alloc(HUGE_BODY_BYTES, "x"));
      case "redirect302":
        res.writeHead(302, { location: REDIRECT_TARGET, "content-length": "0" });
        return void res.end();
      case "empty400":
        res.writeHead(400, { "content-length": "0" });
        return void res.end();
      case "reset-mid-body": {
        const text = JSON.stringify(f.status === 200 ? envelope("ok", 0) : error("INTERNAL_ERROR", "Internal server error"));
        res.writeHead(f.status, { "content-type": "application/json", "content-length": String(text.length) });
        res.write(text.slice(0, 10));
        // The first bytes must leave before the reset, or the client sees no answer at all.
        await sleep(50);
        return void res.socket?.destroy();
      }
      case "slow":
        await sleep(f.slowMs);
        break; // then answer normally (the lead IS created)
      case "trickle":
        break; // answered below, once the lead is created
      case "none":
        break;
    }
    const token = headerValue(req.headers.bsauth);
    if (token === undefined || (token !== staticToken && !sessions.has(token))) {
      return sendJson(res, 401, error("UNAUTHORIZED", "Invalid or missing bsauth token"));
    }
    if (body === undefined) return sendJson(res, 400, error("BAD_REQUEST", "Malformed JSON"));
    const forced = takeFieldError();
    if (forced === "firstName" || !isFilled(body.firstName)) {
      return sendJson(res, 400, error(FIELD_CODES.firstName, "Не указано имя клиента"));
    }
    if (forced === "mobilePhone" || !isFilled(body.mobilePhone)) {
      return sendJson(res, 400, error(FIELD_CODES.mobilePhone, "Не указан мобильный телефон"));
    }
    lead.id = nextId++;
    created.push(lead);
    for (const w of waiters) w();
    if (f.kind === "trickle") return trickle(res, JSON.stringify(envelope("ok", lead.id)), f.slowMs);
    sendJson(res, 200, envelope("ok", lead.id));
  }

  function handlePing(res: ServerResponse): void {
    pings += 1;
    openPings += 1;
    res.once("close", () => (openPings -= 1));
    if (pingFault === "hang") return;
    sendJson(res, 404, error("NOT_FOUND", "Not found"));
  }

  const server = createServer((req, res) => {
    // A client that stops reading a big body resets the connection: that is its right, not a mock failure.
    res.on("error", () => undefined);
    void (async () => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET") return handlePing(res);
      const body = req.method === "POST" ? await readBody(req) : undefined;
      if (req.method === "POST" && path === `${PREFIX}/main/login`) return handleLogin(req, res, body);
      if (req.method === "POST" && path === `${PREFIX}/main/leads`) return handleLead(req, res, body);
      sendJson(res, 404, error("NOT_FOUND", "Not found"));
    })().catch(() => {
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo; // listening on TCP: an address, not a pipe name

  return {
    baseUrl: `http://127.0.0.1:${port}${PREFIX}`,
    received,
    created,
    get logins() {
      return logins;
    },
    get pings() {
      return pings;
    },
    get openPings() {
      return openPings;
    },
    setFault(kind, opts = {}) {
      fault = { kind, slowMs: opts.slowMs ?? 1000, times: opts.times ?? Infinity, status: opts.status ?? 200 };
    },
    setPingFault(kind) {
      pingFault = kind;
    },
    setFieldError(field, times) {
      fieldError = { field, times: times ?? Infinity };
    },
    revokeTokens() {
      sessions.clear();
    },
    waitForCreated(count, timeoutMs = 5000) {
      if (created.length >= count) return Promise.resolve([...created]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`mock Brainysoft: ${created.length}/${count} leads created after ${timeoutMs}ms`));
        }, timeoutMs);
        const check = () => {
          if (created.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...created]);
        };
        waiters.add(check);
      });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

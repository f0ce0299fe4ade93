/**
 * A mock Brainysoft core over real HTTP on 127.0.0.1 (random port), for end-to-end tests, the demo
 * sandbox and benchmarks. Routes under /bs-core: POST /main/login, POST /main/leads; else 404 JSON.
 * Faults and forced field errors apply to lead requests only.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Token accepted when neither `token` nor `login` is given. */
export const MOCK_DEFAULT_TOKEN = "mock-token";

export interface MockBrainysoftOptions {
  token?: string;
  login?: { userName: string; password: string; customerKey: string; issuedToken?: string };
  firstId?: number;
}
export type MockFault = "none" | "http500" | "http503" | "slow" | "hang" | "non-json" | "unauthorized" | "reject400";
export interface ReceivedLead { body: Record<string, unknown>; headers: Record<string, string | string[] | undefined>; id?: number; at: number }
export interface MockBrainysoft {
  baseUrl: string;
  /** Every POST /main/leads that reached the handler, including failed ones. */
  received: ReceivedLead[];
  /** Only those that got an id. */
  created: ReceivedLead[];
  /** `times`: the fault applies to the next N lead requests only, then "none"; default: until changed. */
  setFault(fault: MockFault, opts?: { slowMs?: number; times?: number }): void;
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
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
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
  let fault: { kind: MockFault; slowMs: number; times: number } = { kind: "none", slowMs: 0, times: Infinity };
  let fieldError: { field: "firstName" | "mobilePhone" | undefined; times: number } = { field: undefined, times: 0 };
  const received: ReceivedLead[] = [];
  const created: ReceivedLead[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });

  function takeFault(): { kind: MockFault; slowMs: number } {
    const current = fault;
    if (current.kind !== "none" && --current.times <= 0) fault = { kind: "none", slowMs: 0, times: Infinity };
    return current;
  }

  function takeFieldError(): "firstName" | "mobilePhone" | undefined {
    const { field } = fieldError;
    if (field !== undefined && --fieldError.times <= 0) fieldError = { field: undefined, times: 0 };
    return field;
  }

  function handleLogin(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined): void {
    const l = options.login;
    const ok = l !== undefined && headerValue(req.headers["customer-key"]) === l.customerKey
      && body?.userName === l.userName && body.password === l.password;
    if (!ok) return sendJson(res, 401, error("AUTH_ERROR", "Invalid user name, password or customer key"));
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
      case "http500": return sendJson(res, 500, error("INTERNAL_ERROR", "Internal server error"));
      case "http503":
        res.writeHead(503, { "content-type": "text/html" });
        return void res.end("<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>");
      case "non-json":
        res.writeHead(200, { "content-type": "text/html" });
        return void res.end("<html><body>Технические работы / maintenance</body></html>");
      case "unauthorized": return sendJson(res, 401, error("UNAUTHORIZED", "Unauthorized"));
      case "reject400": return sendJson(res, 400, error("VALIDATION_ERROR", "Lead rejected by validation"));
      case "hang":
        // Headers out, body never: the client's time limit must cover the body too.
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        return;
      case "slow": await sleep(f.slowMs); break; // then answer normally (the lead IS created)
      case "none": break;
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
    sendJson(res, 200, envelope("ok", lead.id));
  }

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0];
      const body = req.method === "POST" ? await readBody(req) : undefined;
      if (req.method === "POST" && path === `${PREFIX}/main/login`) return handleLogin(req, res, body);
      if (req.method === "POST" && path === `${PREFIX}/main/leads`) return handleLead(req, res, body);
      sendJson(res, 404, error("NOT_FOUND", "Not found"));
    })().catch(() => { res.destroy(); });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${PREFIX}`,
    received,
    created,
    get logins() { return logins; },
    setFault(kind, opts = {}) {
      fault = { kind, slowMs: opts.slowMs ?? 1000, times: opts.times ?? Infinity };
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

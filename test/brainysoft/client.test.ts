import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MockAgent } from "undici";
import { createBrainysoftClient } from "../../src/brainysoft/client.js";
import type { BrainysoftClient, BrainysoftClientOptions } from "../../src/brainysoft/client.js";
import { startMockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import type { MockBrainysoft, MockBrainysoftOptions } from "../../src/fakes/mock-brainysoft.js";

const TOKEN = "tok-Zq81-static-secret";
const LOGIN = { userName: "bot-user", password: "pw-Xy77-secret", customerKey: "ck-Qe55-secret", issuedToken: "sess-Wm42-secret" };
const LEAD = { firstName: "Фридрих", mobilePhone: "79776200777" };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  mockOpts: MockBrainysoftOptions,
  clientOpts: Partial<BrainysoftClientOptions> = {},
): Promise<{ mock: MockBrainysoft; client: BrainysoftClient }> {
  const mock = await startMockBrainysoft(mockOpts);
  cleanups.push(() => mock.close());
  const auth =
    mockOpts.login !== undefined
      ? { kind: "login" as const, userName: LOGIN.userName, password: LOGIN.password, customerKey: LOGIN.customerKey }
      : { kind: "token" as const, token: TOKEN };
  const client = createBrainysoftClient({ baseUrl: mock.baseUrl, auth, timeoutMs: 2000, ...clientOpts });
  cleanups.push(() => client.close());
  return { mock, client };
}

/** A base URL where nothing listens: a mock server started and closed again. */
async function deadBaseUrl(): Promise<string> {
  const mock = await startMockBrainysoft();
  await mock.close();
  return mock.baseUrl;
}

describe("token mode", () => {
  it("sends exactly the lead JSON with the bsauth header and returns the id", async () => {
    const { mock, client } = await setup({ token: TOKEN, firstId: 3692 });
    const result = await client.createLead(LEAD);
    expect(result).toMatchObject({ kind: "created", leadId: 3692, status: 200 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(mock.received).toHaveLength(1);
    const [got] = mock.received;
    expect(JSON.stringify(got?.body)).toBe('{"firstName":"Фридрих","mobilePhone":"79776200777"}');
    expect(got?.headers.bsauth).toBe(TOKEN);
    expect(got?.headers["content-type"]).toMatch(/^application\/json/);
    expect(mock.logins).toBe(0);
  });

  it("tolerates a trailing slash in the base URL and passes lastName", async () => {
    const mock = await startMockBrainysoft({ token: TOKEN });
    cleanups.push(() => mock.close());
    const client = createBrainysoftClient({ baseUrl: `${mock.baseUrl}/`, auth: { kind: "token", token: TOKEN }, timeoutMs: 2000 });
    cleanups.push(() => client.close());
    expect(await client.createLead({ ...LEAD, lastName: "Ницше" })).toMatchObject({ kind: "created", leadId: 1000 });
    expect(mock.received[0]?.body).toEqual({ ...LEAD, lastName: "Ницше" });
  });

  it("merges extraFields, the lead's own fields win", async () => {
    const { mock, client } = await setup(
      { token: TOKEN },
      {
        extraFields: { channel: "telegram", subdivisionId: 3, firstName: "WRONG", mobilePhone: "0" },
      },
    );
    expect((await client.createLead(LEAD)).kind).toBe("created");
    expect(mock.received[0]?.body).toEqual({ channel: "telegram", subdivisionId: 3, ...LEAD });
  });

  it("a wrong token is auth, without any retry", async () => {
    const { mock, client } = await setup({ token: "another-token" });
    const result = await client.createLead(LEAD);
    expect(result).toMatchObject({ kind: "auth", status: 401 });
    expect(mock.received).toHaveLength(1);
  });

  it("20 parallel calls are all created with distinct ids", async () => {
    const { mock, client } = await setup({ token: TOKEN });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.createLead({ firstName: `N${i}`, mobilePhone: `7977620${String(i).padStart(4, "0")}` })),
    );
    const ids = results.map((r) => (r.kind === "created" ? r.leadId : -1));
    expect(ids.every((id) => id >= 1000)).toBe(true);
    expect(new Set(ids).size).toBe(20);
    expect(await mock.waitForCreated(20)).toHaveLength(20);
  });
});

describe("field errors", () => {
  it("an empty first name comes back as a firstName field error", async () => {
    const { client } = await setup({ token: TOKEN });
    expect(await client.createLead({ firstName: "", mobilePhone: "79776200777" })).toMatchObject({
      kind: "field-error",
      field: "firstName",
      status: 400,
    });
  });

  it("a forced phone error applies once, then the lead is created", async () => {
    const { mock, client } = await setup({ token: TOKEN });
    mock.setFieldError("mobilePhone", 1);
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "field-error", field: "mobilePhone", status: 400 });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created" });
    expect(mock.received).toHaveLength(2);
    expect(mock.created).toHaveLength(1);
  });
});

describe("faults", () => {
  const cases = [
    ["http500", { kind: "transient", status: 500 }],
    ["http503", { kind: "transient", status: 503 }],
    ["non-json", { kind: "unconfirmed", status: 200, detail: "HTTP 200 non-JSON body" }],
    ["empty200", { kind: "unconfirmed", status: 200, detail: "HTTP 200 empty body" }],
    ["empty400", { kind: "rejected", status: 400, detail: "HTTP 400 empty body" }],
    ["redirect302", { kind: "transient", status: 302, detail: "HTTP 302 redirect to https://login.example.com, not followed" }],
    ["reject400", { kind: "rejected", status: 400 }],
    ["unauthorized", { kind: "auth", status: 401 }],
  ] as const;
  it.each(cases)("%s", async (fault, expected) => {
    const { mock, client } = await setup({ token: TOKEN });
    mock.setFault(fault, { times: 1 });
    expect(await client.createLead(LEAD)).toMatchObject(expected);
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created" }); // fault was for one request only
  });

  it("a server that never answers is transient within the time limit", async () => {
    const { mock, client } = await setup({ token: TOKEN }, { timeoutMs: 300 });
    mock.setFault("hang");
    const started = Date.now();
    const result = await client.createLead(LEAD);
    const took = Date.now() - started;
    expect(result).toMatchObject({ kind: "transient", detail: "timeout after 300ms" });
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1500);
  });

  it("issue 12.3: a 200 whose body never comes is unconfirmed (maybe created) within the time limit", async () => {
    const { mock, client } = await setup({ token: TOKEN }, { timeoutMs: 300 });
    mock.setFault("hang-body");
    const started = Date.now();
    expect(await client.createLead(LEAD)).toMatchObject({
      kind: "unconfirmed",
      status: 200,
      detail: "HTTP 200 body cut off: timeout after 300ms",
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("issue 12.3: a created lead's answer trickled past the time limit is unconfirmed, bounded by the limit", async () => {
    const { mock, client } = await setup({ token: TOKEN }, { timeoutMs: 400 });
    mock.setFault("trickle", { slowMs: 100 });
    const started = Date.now();
    expect(await client.createLead(LEAD)).toMatchObject({
      kind: "unconfirmed",
      status: 200,
      detail: "HTTP 200 body cut off: timeout after 400ms",
    });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(mock.created).toHaveLength(1); // it was created: sending it again would make a second one
  });

  it("issue 12.3: a connection reset mid-body is unconfirmed on a 200, transient on a 500", async () => {
    const { mock, client } = await setup({ token: TOKEN });
    mock.setFault("reset-mid-body", { times: 1 });
    const on200 = await client.createLead(LEAD);
    expect(on200).toMatchObject({ kind: "unconfirmed", status: 200 });
    if (on200.kind === "unconfirmed") expect(on200.detail).toMatch(/^HTTP 200 body cut off: network error /);
    mock.setFault("reset-mid-body", { times: 1, status: 500 });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "transient", status: 500 });
  });

  it("issue 12.10: a 5 MB answer is not read past 1 MiB; a 2xx is unconfirmed, a 5xx transient", async () => {
    const { mock, client } = await setup({ token: TOKEN });
    mock.setFault("huge200", { times: 1 });
    expect(await client.createLead(LEAD)).toMatchObject({
      kind: "unconfirmed",
      status: 200,
      detail: "HTTP 200 body over 1048576 bytes, not read",
    });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created" }); // the pool is fine afterwards
  });

  it("issue 12.10: the cap holds without a Content-Length too (a chunked body is cut at the cap)", async () => {
    const server = createServer((req, res) => {
      res.on("error", () => undefined);
      req.resume();
      res.writeHead(200, { "content-type": "text/plain" }); // chunked: no Content-Length to judge by
      const chunk = Buffer.alloc(64 * 1024, "y");
      let written = 0;
      const pump = () => {
        while (written < 5 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as AddressInfo;
    const client = createBrainysoftClient({
      baseUrl: `http://127.0.0.1:${port}/bs-core`,
      auth: { kind: "token", token: TOKEN },
      timeoutMs: 5000,
      maxBodyBytes: 256 * 1024,
    });
    cleanups.push(() => client.close());
    expect(await client.createLead(LEAD)).toMatchObject({
      kind: "unconfirmed",
      status: 200,
      detail: "HTTP 200 body over 262144 bytes, not read",
    });
  });

  it("slow beyond the limit is transient, slow within it is created", async () => {
    const { mock, client } = await setup({ token: TOKEN }, { timeoutMs: 300 });
    mock.setFault("slow", { slowMs: 800, times: 1 });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "transient", detail: "timeout after 300ms" });
    mock.setFault("slow", { slowMs: 50, times: 1 });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created" });
  });

  it("a refused connection is transient; ping says unreachable", async () => {
    const client = createBrainysoftClient({ baseUrl: await deadBaseUrl(), auth: { kind: "token", token: TOKEN }, timeoutMs: 1000 });
    cleanups.push(() => client.close());
    const result = await client.createLead(LEAD);
    expect(result.kind).toBe("transient");
    expect(result).not.toHaveProperty("status", expect.any(Number));
    if (result.kind === "transient") expect(result.detail).toMatch(/^network error /);
    expect(await client.ping()).toMatchObject({ reachable: false });
  });

  it("ping: any HTTP answer means reachable", async () => {
    const { client } = await setup({ token: TOKEN });
    expect(await client.ping()).toMatchObject({ reachable: true, detail: "HTTP 404" });
  });
});

describe("log-in mode", () => {
  it("logs in once, caches the token, re-logs in once after revocation and repeats once", async () => {
    const { mock, client } = await setup({ login: LOGIN });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created", leadId: 1000 });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created", leadId: 1001 });
    expect(mock.logins).toBe(1);
    expect(mock.received.map((r) => r.headers.bsauth)).toEqual([LOGIN.issuedToken, LOGIN.issuedToken]);

    mock.revokeTokens();
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created", leadId: 1002 });
    expect(mock.logins).toBe(2);
    expect(mock.received).toHaveLength(4); // refused once, repeated once
    expect(mock.received[3]?.headers.bsauth).toBe(`${LOGIN.issuedToken}-2`);
  });

  it("concurrent callers share one in-flight login, also when re-logging in", async () => {
    const { mock, client } = await setup({ login: LOGIN });
    const burst = () => Promise.all(Array.from({ length: 20 }, () => client.createLead(LEAD)));
    expect((await burst()).every((r) => r.kind === "created")).toBe(true);
    expect(mock.logins).toBe(1);
    mock.revokeTokens();
    expect((await burst()).every((r) => r.kind === "created")).toBe(true);
    expect(mock.logins).toBe(2);
    expect(mock.received).toHaveLength(60);
    expect(new Set(mock.created.map((c) => c.id)).size).toBe(40);
  });

  it("a token still refused after re-login is auth, after exactly one extra login and one repeat", async () => {
    const { mock, client } = await setup({ login: LOGIN });
    mock.setFault("unauthorized");
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "auth", status: 401 });
    expect(mock.logins).toBe(2);
    expect(mock.received).toHaveLength(2);
  });

  it("wrong credentials are auth and send no lead", async () => {
    const mock = await startMockBrainysoft({ login: LOGIN });
    cleanups.push(() => mock.close());
    for (const auth of [
      { kind: "login" as const, userName: LOGIN.userName, password: "wrong", customerKey: LOGIN.customerKey },
      { kind: "login" as const, userName: LOGIN.userName, password: LOGIN.password, customerKey: "wrong" },
    ]) {
      const client = createBrainysoftClient({ baseUrl: mock.baseUrl, auth, timeoutMs: 2000 });
      cleanups.push(() => client.close());
      const result = await client.createLead(LEAD);
      expect(result).toMatchObject({ kind: "auth", status: 401, detail: "login: HTTP 401" });
    }
    expect(mock.received).toHaveLength(0);
    expect(mock.logins).toBe(0);
  });

  it("a login that cannot reach the server is transient", async () => {
    const client = createBrainysoftClient({ baseUrl: await deadBaseUrl(), auth: { kind: "login", ...LOGIN }, timeoutMs: 1000 });
    cleanups.push(() => client.close());
    const result = await client.createLead(LEAD);
    expect(result.kind).toBe("transient");
    if (result.kind === "transient") expect(result.detail).toMatch(/^login: network error /);
  });
});

describe("secrets and personal data", () => {
  it("no log line or detail carries a token, password, customer key, phone digits or name", async () => {
    const lines: string[] = [];
    const log = pino({ level: "trace" }, { write: (s: string) => void lines.push(s) });
    const mock = await startMockBrainysoft({ login: LOGIN, token: TOKEN });
    cleanups.push(() => mock.close());
    const results = [];
    for (const auth of [
      { kind: "login" as const, ...LOGIN },
      { kind: "token" as const, token: TOKEN },
      { kind: "login" as const, ...LOGIN, password: "pw-Bad9-secret" },
    ]) {
      const client = createBrainysoftClient({ baseUrl: mock.baseUrl, auth, timeoutMs: 300, log });
      cleanups.push(() => client.close());
      results.push(await client.createLead(LEAD));
      mock.revokeTokens();
      results.push(await client.createLead(LEAD));
      for (const fault of ["http500", "http503", "non-json", "reject400", "unauthorized", "hang"] as const) {
        mock.setFault(fault, { times: 1 });
        results.push(await client.createLead(LEAD));
      }
      mock.setFieldError("mobilePhone", 1);
      results.push(await client.createLead(LEAD));
    }
    const text = lines.join("") + JSON.stringify(results);
    expect(lines.length).toBeGreaterThan(20);
    for (const forbidden of [
      TOKEN,
      LOGIN.password,
      LOGIN.customerKey,
      LOGIN.issuedToken,
      "pw-Bad9-secret",
      "79776200777",
      "Фридрих",
      "bot-user",
    ]) {
      expect(text).not.toContain(forbidden);
    }
    const first = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(first).toMatchObject({ op: "login", outcome: "ok", status: 200, attempt: 1 });
    expect(
      lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .every((l) => typeof l.latencyMs === "number" && typeof l.outcome === "string"),
    ).toBe(true);
  });

  it("redacts a secret even when the server echoes it as an error code (MockAgent dispatcher)", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    cleanups.push(() => agent.close());
    const pool = agent.get("https://acme-saas.brainysoft.ru:9025");
    pool.intercept({ path: "/bs-core/main/leads", method: "POST" }).reply(400, { status: "error", data: { code: TOKEN } });
    pool.intercept({ path: "/bs-core/main/leads", method: "POST" }).reply(200, { status: "ok", timestamp: 1, data: "3692" });
    const client = createBrainysoftClient({
      baseUrl: "https://acme-saas.brainysoft.ru:9025/bs-core",
      auth: { kind: "token", token: TOKEN },
      timeoutMs: 1000,
      dispatcher: agent,
    });
    const rejected = await client.createLead(LEAD);
    expect(rejected).toMatchObject({ kind: "rejected", status: 400, detail: "HTTP 400 ***" });
    expect(await client.createLead(LEAD)).toMatchObject({ kind: "created", leadId: 3692 });
    await client.close(); // does not close an injected dispatcher
    agent.assertNoPendingInterceptors();
  });
});

/**
 * Issue 12.9: the readiness ping must not hurt lead delivery. It runs on its own connections, one
 * call is shared by concurrent probes and reused for a few seconds, and it is cancelled once nobody
 * waits for it (a /readyz client that hung up).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBrainysoftClient, type BrainysoftClient, type BrainysoftClientOptions } from "../../src/brainysoft/client.js";
import { startMockBrainysoft, type MockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { customer, phoneOf, SEES, upToPhone, WAIT } from "../runtime/helpers.js";

const TOKEN = "tok-ping-test";
const LEAD = { firstName: "Анна", mobilePhone: "79776200777" };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Partial<BrainysoftClientOptions> = {}): Promise<{ mock: MockBrainysoft; client: BrainysoftClient }> {
  const mock = await startMockBrainysoft({ token: TOKEN });
  cleanups.push(() => mock.close());
  const client = createBrainysoftClient({ baseUrl: mock.baseUrl, auth: { kind: "token", token: TOKEN }, timeoutMs: 10_000, ...options });
  cleanups.push(() => client.close());
  return { mock, client };
}

describe("the Brainysoft readiness ping", () => {
  it("issue 12.9: concurrent pings share one call, and its result is reused for a few seconds", async () => {
    let clock = 0;
    const { mock, client } = await setup({ now: () => clock, pingCacheMs: 5_000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => client.ping()));
    expect(results.every((r) => r.reachable)).toBe(true);
    expect(mock.pings).toBe(1);
    clock += 4_999;
    expect(await client.ping()).toMatchObject({ reachable: true });
    expect(mock.pings).toBe(1);
    clock += 2;
    expect(await client.ping()).toMatchObject({ reachable: true });
    expect(mock.pings).toBe(2);
  });

  it("issue 12.9: hanging pings never take a connection a lead needs", async () => {
    // One lead at a time: the lead pool has 1 + 4 spare connections, fewer than the probes.
    const { mock, client } = await setup({ concurrency: 1, timeoutMs: 2_000 });
    mock.setPingFault("hang");
    const probes = Array.from({ length: 20 }, () => new AbortController());
    const waiting = probes.map((probe) => client.ping(probe.signal).catch(() => undefined));
    await expect.poll(() => mock.openPings, { timeout: WAIT }).toBe(1);
    const lead = await client.createLead(LEAD);
    expect(lead).toMatchObject({ kind: "created" });
    expect(lead.latencyMs).toBeLessThan(1_500);
    expect(mock.pings).toBe(1);
    for (const probe of probes) probe.abort();
    await Promise.all(waiting);
  });

  it("issue 12.9: is cancelled once every caller stopped waiting, and a cancelled ping is not reused", async () => {
    const { mock, client } = await setup();
    mock.setPingFault("hang");
    const first = new AbortController();
    const second = new AbortController();
    const firstWait = client.ping(first.signal);
    const secondWait = client.ping(second.signal);
    await expect.poll(() => mock.openPings, { timeout: WAIT }).toBe(1);

    first.abort(new Error("first prober gone"));
    await expect(firstWait).rejects.toThrow("first prober gone");
    expect(mock.openPings).toBe(1); // the second still waits for it

    second.abort(new Error("second prober gone"));
    await expect(secondWait).rejects.toThrow("second prober gone");
    await expect.poll(() => mock.openPings, { timeout: 1_500 }).toBe(0);

    mock.setPingFault("none");
    expect(await client.ping()).toMatchObject({ reachable: true, detail: "HTTP 404" });
    expect(mock.pings).toBe(2);
  });
});

describe("/readyz under a probe storm (the bot over HTTP)", () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function readyz(app: TestApp, signal?: AbortSignal): Promise<Response> {
    const address = app.app.httpAddress();
    if (!address) throw new Error("the HTTP server is not listening");
    return fetch(`http://127.0.0.1:${address.port}/readyz`, { signal });
  }

  it("issue 12.9: fifty probes while Brainysoft's ping hangs make one ping, and a customer's lead is answered at once", async () => {
    t = await startTestApp({ env: { BRAINYSOFT_CONCURRENCY: "1" } });
    const app = t;
    const anna = customer(9101);
    await upToPhone(app.telegram, anna);

    app.crm.setPingFault("hang");
    const storm = Array.from({ length: 50 }, () =>
      readyz(app).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown })),
    );
    await expect.poll(() => app.crm.openPings, { timeout: WAIT }).toBe(1);

    const sentAt = Date.now();
    app.telegram.sendText(anna, phoneOf(91));
    expect((await app.telegram.nextMessage(anna.id, WAIT)).plainText).toMatch(SEES.created);
    expect(Date.now() - sentAt).toBeLessThan(2_000);

    const answers = await Promise.all(storm);
    for (const answer of answers) {
      // Readiness keeps its shape; Brainysoft is reported, not required.
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ ready: true, store: { ok: true }, telegram: { ok: true }, brainysoft: { reachable: false } });
    }
    expect(app.crm.pings).toBe(1);
    await expect.poll(() => app.crm.openPings, { timeout: WAIT }).toBe(0);
  });

  it("issue 12.9: a /readyz client that hangs up cancels the Brainysoft ping", async () => {
    // A long Brainysoft time limit, so that only the cancellation can end the ping this soon.
    t = await startTestApp({ env: { BRAINYSOFT_TIMEOUT_MS: "10000" } });
    const app = t;
    app.crm.setPingFault("hang");
    const prober = new AbortController();
    const probe = readyz(app, prober.signal).catch((error: unknown) => error);
    await expect.poll(() => app.crm.openPings, { timeout: WAIT }).toBe(1);
    prober.abort();
    expect(await probe).toBeInstanceOf(Error);
    // Well before the readiness check's own 3 s limit would end it.
    await expect.poll(() => app.crm.openPings, { timeout: 1_500 }).toBe(0);
  });
});

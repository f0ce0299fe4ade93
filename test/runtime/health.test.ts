/** /healthz, /readyz and /metrics on the bot's HTTP port (PORT=0: a free one), asked over real HTTP. */
import { afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { sample } from "../metrics/prometheus-text.js";
import { customer, phoneOf, SEES, upToPhone, WAIT } from "./helpers.js";

let t: TestApp;
afterEach(async () => t?.close());

async function get(path: string): Promise<{ status: number; type: string; text: string }> {
  const address = t.app.httpAddress();
  if (!address) throw new Error("the HTTP server is not listening");
  const response = await fetch(`http://127.0.0.1:${address.port}${path}`);
  return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() };
}

describe("health and readiness", () => {
  it("answers /healthz, and /readyz with every check while all is well", async () => {
    t = await startTestApp();
    const health = await get("/healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: "ok" });

    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({
      ready: true,
      updates: { ok: true, mode: "polling" },
      store: { ok: true, pendingLeads: 0 },
      telegram: { ok: true },
      brainysoft: { reachable: true },
    });
    expect((await get("/nothing-here")).status).toBe(404);
    const posted = await fetch(`http://127.0.0.1:${t.app.httpAddress()?.port}/healthz`, { method: "POST" });
    expect([posted.status, posted.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    // Metrics are off unless METRICS=true.
    expect((await get("/metrics")).status).toBe(404);
  });

  it("stays ready without Brainysoft (leads are kept), reporting it unreachable", async () => {
    t = await startTestApp();
    await t.crm.close();
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: true, brainysoft: { reachable: false } });
  });

  it("is not ready when the Bot API does not answer", async () => {
    t = await startTestApp();
    await t.telegram.close();
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.text) as { ready: boolean; telegram: { ok: boolean; error?: string }; store: { ok: boolean } };
    expect(body).toMatchObject({ ready: false, telegram: { ok: false }, store: { ok: true } });
    // The probe's error names the method, never the token.
    expect(ready.text).not.toContain("TEST-token");
    expect((await get("/healthz")).status).toBe(200);
  });

  it("is not ready once the store is closed", async () => {
    t = await startTestApp();
    await t.app.store.close();
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: false, store: { ok: false } });
  });
});

describe("metrics", () => {
  it("counts updates, leads by outcome, the queue and Brainysoft's latency in Prometheus text", async () => {
    t = await startTestApp({ env: { METRICS: "true" } });
    const anna = customer(6201);
    await upToPhone(t.telegram, anna);
    t.telegram.sendText(anna, phoneOf(11));
    expect((await t.telegram.nextMessage(anna.id, WAIT)).plainText).toMatch(SEES.created);

    // Brainysoft down: the next lead is saved and queued.
    t.crm.setFault("http503");
    const boris = customer(6202, "Борис");
    await upToPhone(t.telegram, boris);
    t.telegram.sendText(boris, phoneOf(12));
    await t.telegram.nextMessage(boris.id, WAIT);

    const metrics = await get("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = metrics.text;
    expect(text).toContain("# TYPE leadbot_updates_total counter");
    // Two customers, three updates each; the last one may still be finishing when /metrics is read.
    expect(sample(text, "leadbot_updates_total", { outcome: "handled" })).toBeGreaterThanOrEqual(5);
    expect(sample(text, "leadbot_leads_total", { outcome: "created" })).toBe(1);
    expect(sample(text, "leadbot_leads_total", { outcome: "queued" })).toBe(1);
    expect(sample(text, "leadbot_lead_queue_depth")).toBe(1);
    expect(text).toContain("# TYPE leadbot_brainysoft_request_duration_seconds histogram");
    expect(sample(text, "leadbot_brainysoft_request_duration_seconds_count", { result: "created" })).toBe(1);
    expect(sample(text, "leadbot_brainysoft_request_duration_seconds_bucket", { result: "created", le: "+Inf" })).toBe(1);
    expect(sample(text, "leadbot_brainysoft_request_duration_seconds_count", { result: "transient" })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^leadbot_updates_in_flight \d+$/m);
    // Node's process metrics come with it.
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);

    // Brainysoft back: the queue empties and the later delivery is counted.
    t.crm.setFault("none");
    await t.telegram.waitForMessage(boris.id, (m) => /заявка зарегистрирована/.test(m.plainText ?? ""), WAIT);
    await expect
      .poll(async () => sample((await get("/metrics")).text, "leadbot_leads_total", { outcome: "delivered-later" }), { timeout: WAIT })
      .toBe(1);
    expect(sample((await get("/metrics")).text, "leadbot_lead_queue_depth")).toBe(0);
  });
});

/** The app's Prometheus registry (prom-client): the bot's metric names, Node's process metrics, one registry per app. */
import { register as globalRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { gaugeReadOnScrape } from "../../src/metrics/registry.js";
import { createBotMetrics } from "../../src/metrics/bot-metrics.js";
import { sample } from "./prometheus-text.js";

describe("the bot's Prometheus registry", () => {
  it("renders counters, histograms and gauges read at scrape time in the text format", async () => {
    const metrics = createBotMetrics();
    let depth = 7;
    gaugeReadOnScrape(metrics.registry, "leadbot_lead_queue_depth", "Leads waiting.", async () => depth);
    metrics.updates.inc({ outcome: "handled" });
    metrics.updates.inc({ outcome: "handled" }, 2);
    metrics.leads.inc({ outcome: 'say "hi"\n' });
    metrics.rateLimited.inc();
    for (const seconds of [0.01, 0.7, 3]) metrics.brainysoftSeconds.observe({ result: "created" }, seconds);

    const text = await metrics.registry.metrics();
    expect(metrics.registry.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(text).toContain("# TYPE leadbot_updates_total counter");
    expect(sample(text, "leadbot_updates_total", { outcome: "handled" })).toBe(3);
    expect(text).toContain('leadbot_leads_total{outcome="say \\"hi\\"\\n"} 1');
    expect(sample(text, "leadbot_updates_rate_limited_total")).toBe(1);
    expect(text).toContain("# TYPE leadbot_brainysoft_request_duration_seconds histogram");
    const bucket = (le: string) => sample(text, "leadbot_brainysoft_request_duration_seconds_bucket", { result: "created", le });
    expect([bucket("0.025"), bucket("1"), bucket("2.5"), bucket("5"), bucket("+Inf")]).toEqual([1, 2, 2, 3, 3]);
    expect(sample(text, "leadbot_brainysoft_request_duration_seconds_sum", { result: "created" })).toBeCloseTo(3.71);
    expect(sample(text, "leadbot_brainysoft_request_duration_seconds_count", { result: "created" })).toBe(3);
    expect(sample(text, "leadbot_lead_queue_depth")).toBe(7);
    // Node's own: CPU, memory, event loop.
    // Counted from the registry's creation, in the kernel's clock ticks: a fast test may see 0, never none.
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");

    depth = 0;
    expect(sample(await metrics.registry.metrics(), "leadbot_lead_queue_depth")).toBe(0);
  });

  it("keeps each app's counts to itself, never in prom-client's global registry", async () => {
    const first = createBotMetrics();
    const second = createBotMetrics();
    first.leads.inc({ outcome: "created" });
    expect(sample(await first.registry.metrics(), "leadbot_leads_total", { outcome: "created" })).toBe(1);
    expect(sample(await second.registry.metrics(), "leadbot_leads_total", { outcome: "created" })).toBeUndefined();
    expect(globalRegistry.getMetricsAsArray()).toEqual([]);
    // A name registered twice in one registry is a wiring mistake, told at once.
    expect(() => gaugeReadOnScrape(first.registry, "leadbot_leads_total", "Again.", () => 0)).toThrow(/already been registered/);
  });
});

import { describe, expect, it } from "vitest";
import { createMetricsRegistry } from "../../src/http/metrics.js";

describe("the Prometheus registry", () => {
  it("renders counters, histograms and gauges in the text format", async () => {
    const registry = createMetricsRegistry();
    const counter = registry.counter("demo_events_total", "Events by kind.");
    const histogram = registry.histogram("demo_duration_seconds", "How long.", [0.1, 1, 0.5]);
    registry.gauge("demo_depth", "Queue depth.", async () => 7);
    registry.gauge("demo_by_kind", "Per kind.", () => [{ labels: { kind: "a" }, value: 2 }]);
    counter.inc({ kind: "x" });
    counter.inc({ kind: "x" }, 2);
    counter.inc({ kind: 'say "hi"\n' });
    histogram.observe(0.05, { result: "ok" });
    histogram.observe(0.7, { result: "ok" });
    histogram.observe(3, { result: "ok" });

    expect(await registry.render()).toBe(
      [
        "# HELP demo_events_total Events by kind.",
        "# TYPE demo_events_total counter",
        'demo_events_total{kind="x"} 3',
        'demo_events_total{kind="say \\"hi\\"\\n"} 1',
        "# HELP demo_duration_seconds How long.",
        "# TYPE demo_duration_seconds histogram",
        'demo_duration_seconds_bucket{result="ok",le="0.1"} 1',
        'demo_duration_seconds_bucket{result="ok",le="0.5"} 1',
        'demo_duration_seconds_bucket{result="ok",le="1"} 2',
        'demo_duration_seconds_bucket{result="ok",le="+Inf"} 3',
        'demo_duration_seconds_sum{result="ok"} 3.75',
        'demo_duration_seconds_count{result="ok"} 3',
        "# HELP demo_depth Queue depth.",
        "# TYPE demo_depth gauge",
        "demo_depth 7",
        "# HELP demo_by_kind Per kind.",
        "# TYPE demo_by_kind gauge",
        'demo_by_kind{kind="a"} 2',
        "",
      ].join("\n"),
    );
    expect(counter.value({ kind: "x" })).toBe(3);
    expect(counter.value({ kind: "y" })).toBe(0);
  });

  it("treats label order as irrelevant and refuses duplicate or invalid names", () => {
    const registry = createMetricsRegistry();
    const counter = registry.counter("demo_total", "Demo.");
    counter.inc({ a: "1", b: "2" });
    counter.inc({ b: "2", a: "1" });
    expect(counter.value({ a: "1", b: "2" })).toBe(2);
    expect(() => registry.counter("demo_total", "Again.")).toThrow(/twice/);
    expect(() => registry.counter("demo-total", "Bad.")).toThrow(/invalid/);
  });
});

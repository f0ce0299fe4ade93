/**
 * A tiny Prometheus registry: counters, histograms and gauges read at scrape time, rendered in the
 * text exposition format (version 0.0.4). A client library would be the only dependency for a dozen
 * lines of formatting, so there is none.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  /** Current value for these labels (0 when never incremented). */
  value(labels?: Labels): number;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** A gauge's samples, read when /metrics is scraped (queue depth comes from the store, not from bookkeeping). */
export type GaugeReader = () => number | { labels: Labels; value: number }[] | Promise<number | { labels: Labels; value: number }[]>;

export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  gauge(name: string, help: string, read: GaugeReader): void;
  render(): Promise<string>;
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** Labels in a fixed (sorted) order, so that {a,b} and {b,a} are one series. */
function labelKey(labels: Labels | undefined): string {
  if (!labels) return "";
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k]!)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Adds one label to a rendered label set: `{a="1"}` + le → `{a="1",le="0.5"}`. */
function withLabel(key: string, name: string, value: string): string {
  const extra = `${name}="${escapeLabel(value)}"`;
  return key === "" ? `{${extra}}` : `${key.slice(0, -1)},${extra}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

interface Metric {
  render(): Promise<string[]>;
}

export function createMetricsRegistry(): MetricsRegistry {
  const metrics = new Map<string, Metric>();
  const register = (name: string, metric: Metric) => {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name ${name}`);
    if (metrics.has(name)) throw new Error(`metric ${name} is registered twice`);
    metrics.set(name, metric);
  };
  const header = (name: string, help: string, type: string) => [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];

  return {
    counter(name, help) {
      const values = new Map<string, number>();
      register(name, {
        render: async () => [...header(name, help, "counter"), ...[...values].map(([key, v]) => `${name}${key} ${formatNumber(v)}`)],
      });
      return {
        inc(labels, by = 1) {
          const key = labelKey(labels);
          values.set(key, (values.get(key) ?? 0) + by);
        },
        value: (labels) => values.get(labelKey(labels)) ?? 0,
      };
    },

    histogram(name, help, buckets) {
      const bounds = [...buckets].sort((a, b) => a - b);
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      register(name, {
        render: async () => {
          const lines = header(name, help, "histogram");
          for (const [key, s] of series) {
            // Buckets are cumulative in the exposition format.
            let cumulative = 0;
            bounds.forEach((bound, i) => {
              cumulative += s.counts[i]!;
              lines.push(`${name}_bucket${withLabel(key, "le", formatNumber(bound))} ${cumulative}`);
            });
            lines.push(`${name}_bucket${withLabel(key, "le", "+Inf")} ${s.count}`);
            lines.push(`${name}_sum${key} ${formatNumber(s.sum)}`, `${name}_count${key} ${s.count}`);
          }
          return lines;
        },
      });
      return {
        observe(value, labels) {
          const key = labelKey(labels);
          let s = series.get(key);
          if (!s) series.set(key, (s = { counts: bounds.map(() => 0), sum: 0, count: 0 }));
          const index = bounds.findIndex((bound) => value <= bound);
          if (index >= 0) s.counts[index]!++;
          s.sum += value;
          s.count++;
        },
      };
    },

    gauge(name, help, read) {
      register(name, {
        render: async () => {
          const value = await read();
          const samples = typeof value === "number" ? [{ labels: {}, value }] : value;
          return [...header(name, help, "gauge"), ...samples.map((s) => `${name}${labelKey(s.labels)} ${formatNumber(s.value)}`)];
        },
      });
    },

    async render() {
      const blocks = await Promise.all([...metrics.values()].map((m) => m.render()));
      return `${blocks.flat().join("\n")}\n`;
    },
  };
}

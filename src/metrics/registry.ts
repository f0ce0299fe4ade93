import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

/**
 * One Prometheus registry per app instance, with Node's process metrics (CPU, memory, event loop, GC).
 * Never prom-client's global default registry: two apps in one process (tests, a restart) would share
 * and double-register their metrics.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** A gauge read when /metrics is scraped (queue depth comes from the store, not from bookkeeping). */
export function gaugeReadOnScrape(registry: Registry, name: string, help: string, read: () => number | Promise<number>): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read());
    },
  });
}

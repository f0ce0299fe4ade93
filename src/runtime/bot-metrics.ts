import { createMetricsRegistry, type Counter, type Histogram, type MetricsRegistry } from "../http/metrics.js";
import type { LeadOutbox, OutboxListener } from "../leads/outbox.js";

/** The bot's own metrics. Always collected (it is a few map updates); /metrics shows them when METRICS=true. */
export interface BotMetrics {
  registry: MetricsRegistry;
  /** Updates that reached the handlers, by outcome: handled or error. */
  updates: Counter;
  /** Updates dropped by the per-user rate limit. */
  rateLimited: Counter;
  /** Updates dropped because their chat already had too many in flight (runtime/chat-gate.ts). */
  floodDropped: Counter;
  /** Leads by what the person was told: created, duplicate, queued, field-error, rejected, limit-reached,
   * and later: delivered-later, rejected-later, failed-later. */
  leads: Counter;
  /** Every call to Brainysoft's lead endpoint, by classified result. */
  brainysoftSeconds: Histogram;
}

/** Brainysoft answers in tens of milliseconds when well and the client gives up after BRAINYSOFT_TIMEOUT_MS (15 s). */
const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];

export function createBotMetrics(): BotMetrics {
  const registry = createMetricsRegistry();
  return {
    registry,
    updates: registry.counter("leadbot_updates_total", "Telegram updates handled, by outcome (handled, error)."),
    rateLimited: registry.counter("leadbot_updates_rate_limited_total", "Updates dropped by the per-user rate limit."),
    floodDropped: registry.counter("leadbot_updates_flood_dropped_total", "Updates dropped because their chat already had too many in flight."),
    leads: registry.counter("leadbot_leads_total", "Leads by outcome as told to the person."),
    brainysoftSeconds: registry.histogram(
      "leadbot_brainysoft_request_duration_seconds",
      "Duration of Brainysoft lead requests, by result.",
      LATENCY_BUCKETS,
    ),
  };
}

/** The outbox, counting what each submit told the person. */
export function countSubmitOutcomes(outbox: LeadOutbox, metrics: BotMetrics): LeadOutbox {
  return {
    ...outbox,
    async submit(lead, wait) {
      const outcome = await outbox.submit(lead, wait);
      metrics.leads.inc({ outcome: outcome.kind });
      return outcome;
    },
  };
}

/** An observer for the outbox (combine it after the notifier): later outcomes, and the time of every Brainysoft attempt. */
export function leadMetricsListener(metrics: BotMetrics): OutboxListener {
  return {
    delivered() {
      metrics.leads.inc({ outcome: "delivered-later" });
    },
    gaveUp(_lead, state) {
      metrics.leads.inc({ outcome: `${state}-later` });
    },
    attempted(_lead, result) {
      metrics.brainysoftSeconds.observe(result.latencyMs / 1000, { result: result.kind });
    },
  };
}

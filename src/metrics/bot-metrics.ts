import { Counter, Histogram, type Registry } from "prom-client";
import { createMetricsRegistry } from "./registry.js";
import type { LeadOutbox } from "../leads/outbox.js";
import type { OutboxListener } from "../leads/outbox-events.js";

/** The bot's own metrics. Always collected (a few additions); /metrics shows them when METRICS=true. */
export interface BotMetrics {
  /** This app's registry: the bot's metrics, Node's process metrics, and the gauges the app adds. */
  registry: Registry;
  /** Updates that reached the handlers, by outcome: handled or error. */
  updates: Counter<"outcome">;
  /** Updates dropped by the per-user rate limit. */
  rateLimited: Counter;
  /** Updates dropped because their chat already had too many in flight (runtime/chat-gate.ts). */
  floodDropped: Counter;
  /** Leads by what the person was told: created, duplicate, queued, field-error, rejected, limit-reached,
   * and later: delivered-later, rejected-later, failed-later. */
  leads: Counter<"outcome">;
  /** Every call to Brainysoft's lead endpoint, by classified result. */
  brainysoftSeconds: Histogram<"result">;
}

/** Brainysoft answers in tens of milliseconds when well and the client gives up after BRAINYSOFT_TIMEOUT_MS (15 s). */
const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];

export function createBotMetrics(): BotMetrics {
  const registry = createMetricsRegistry();
  const registers = [registry];
  return {
    registry,
    updates: new Counter({
      name: "leadbot_updates_total",
      help: "Telegram updates handled, by outcome (handled, error).",
      labelNames: ["outcome"],
      registers,
    }),
    rateLimited: new Counter({
      name: "leadbot_updates_rate_limited_total",
      help: "Updates dropped by the per-user rate limit.",
      registers,
    }),
    floodDropped: new Counter({
      name: "leadbot_updates_flood_dropped_total",
      help: "Updates dropped because their chat already had too many in flight.",
      registers,
    }),
    leads: new Counter({
      name: "leadbot_leads_total",
      help: "Leads by outcome as told to the person.",
      labelNames: ["outcome"],
      registers,
    }),
    brainysoftSeconds: new Histogram({
      name: "leadbot_brainysoft_request_duration_seconds",
      help: "Duration of Brainysoft lead requests, by result.",
      labelNames: ["result"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
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
      metrics.brainysoftSeconds.observe({ result: result.kind }, result.latencyMs / 1000);
    },
  };
}

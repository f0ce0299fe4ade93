/**
 * The figures behind /stats, from the store: leads created in a period by state and by source, the
 * duplicates turned away, delivery success, Brainysoft latency (from the journal's call records, so
 * it survives restarts and goes with retention) and the queue.
 */
import type { LeadRecord, LeadState, Store } from "../store/types.js";
import type { ChartDay } from "./chart.js";
import { startOfDay } from "./format.js";
import { crmCallLatency } from "./journal.js";

export type SourceOf = Pick<LeadRecord, "actor" | "agentId" | "source">;

export interface PeriodStats {
  leads: number;
  byState: Record<LeadState, number>;
  /** Submissions that matched a recent lead and created none. */
  duplicates: number;
  /** Most leads first. */
  bySource: Array<{ source: SourceOf; count: number }>;
  /** Delivered among the leads that reached a final state (less field errors the person corrected); undefined when none has. */
  successRate: number | undefined;
  latency: { p50: number; p95: number; calls: number } | undefined;
}

export interface LeadStats {
  today: PeriodStats;
  week: PeriodStats;
  queue: { pending: number; failed: number; oldestPendingAt: number | undefined };
  /** The last 7 days, oldest first, today last. */
  perDay: Array<ChartDay & { start: number }>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function sourceKey(s: SourceOf): string {
  if (s.actor === "agent") return `agent:${s.agentId ?? "?"}`;
  return s.source === "direct" || s.source === "customer" ? "customer" : `link:${s.source}`;
}

/**
 * Latency is computed over at most this many of the period's newest calls: a long outage can leave
 * hundreds of thousands of failed calls in the journal, and /stats should not read them all.
 */
export const MAX_CALLS = 20_000;
const MAX_DUPLICATES = 100_000;

async function newest(store: Pick<Store, "events">, kinds: string[], limit: number, from: number, to: number) {
  const events = await store.events.recent(limit, 0, { kinds });
  return events.filter((e) => e.at >= from && e.at < to);
}

async function period(store: Pick<Store, "leads" | "events">, from: number, to: number): Promise<PeriodStats> {
  const leads = await store.leads.listCreatedBetween(from, to);
  const calls = await newest(store, ["crm-ok", "crm-error"], MAX_CALLS, from, to);
  const duplicates = await newest(store, ["duplicate"], MAX_DUPLICATES, from, to);
  const byState: Record<LeadState, number> = { pending: 0, delivered: 0, duplicate: 0, rejected: 0, failed: 0 };
  const sources = new Map<string, { source: SourceOf; count: number }>();
  for (const lead of leads) {
    byState[lead.state] += 1;
    const key = sourceKey(lead);
    const entry = sources.get(key) ?? { source: { actor: lead.actor, agentId: lead.agentId, source: lead.source }, count: 0 };
    entry.count += 1;
    sources.set(key, entry);
  }
  // A name or phone Brainysoft refused while the person was there was asked again and made a new lead:
  // not a delivery failure.
  const corrected = leads.filter((l) => l.state === "rejected" && l.lastError?.startsWith("field-")).length;
  const finished = byState.delivered + byState.rejected + byState.failed - corrected;
  const latencies = calls
    .map((e) => crmCallLatency(e.detail))
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  return {
    leads: leads.length,
    byState,
    duplicates: duplicates.length,
    bySource: [...sources.values()].sort((a, b) => b.count - a.count || sourceKey(a.source).localeCompare(sourceKey(b.source))),
    successRate: finished === 0 ? undefined : byState.delivered / finished,
    latency:
      latencies.length === 0
        ? undefined
        : { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), calls: latencies.length },
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

export async function collectStats(store: Pick<Store, "leads" | "events">, now: number): Promise<LeadStats> {
  const weekStart = startOfDay(now, 6);
  const [today, week, counts, oldest, weekLeads] = await Promise.all([
    period(store, startOfDay(now), now + 1),
    period(store, weekStart, now + 1),
    store.leads.countByState(),
    store.leads.listByState(["pending"], 1),
    store.leads.listCreatedBetween(weekStart, now + 1),
  ]);
  const perDay = Array.from({ length: 7 }, (_, i) => {
    const start = startOfDay(now, 6 - i);
    const end = startOfDay(now, 5 - i);
    const day = weekLeads.filter((l) => l.createdAt >= start && l.createdAt < end);
    const date = new Date(start);
    return {
      start,
      label: `${pad(date.getDate())}.${pad(date.getMonth() + 1)}`,
      delivered: day.filter((l) => l.state === "delivered").length,
      waiting: day.filter((l) => l.state === "pending").length,
      failed: day.filter((l) => l.state === "failed" || l.state === "rejected").length,
    };
  });
  return {
    today,
    week,
    queue: { pending: counts.pending, failed: counts.failed, oldestPendingAt: oldest[0]?.createdAt },
    perDay,
  };
}

/**
 * The figures behind /stats, from the store: leads created in a period by state and by source, the
 * duplicates turned away, delivery success, Brainysoft latency (from the journal's call records, so
 * it survives restarts and goes with retention) and the queue. The week is read once; today is the
 * part of it since midnight.
 */
import type { LeadEvent, LeadRecord, LeadState, Store } from "../store/types.js";
import type { ChartDay } from "./chart.js";
import { formatLocalTime, sourceKey, startOfDay, type SourceOf } from "./format.js";

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

/**
 * Latency is computed over at most this many of the week's newest calls: a long outage can leave
 * hundreds of thousands of failed calls in the journal, and /stats should not read them all.
 */
const MAX_CALLS = 20_000;
const CALL_KINDS = ["crm-ok", "crm-error"];

/** Leads by where they came from, most first (ties in a stable order). */
function countBySource(leads: readonly LeadRecord[]): Array<{ source: SourceOf; count: number }> {
  const sources = new Map<string, { source: SourceOf; count: number }>();
  for (const lead of leads) {
    const key = sourceKey(lead);
    const entry = sources.get(key) ?? { source: { actor: lead.actor, agentId: lead.agentId, source: lead.source }, count: 0 };
    entry.count += 1;
    sources.set(key, entry);
  }
  return [...sources.values()].sort((a, b) => b.count - a.count || sourceKey(a.source).localeCompare(sourceKey(b.source)));
}

/** The last 7 days' leads by source, for the full list behind /stats (which shows the first few). */
export async function collectWeekSources(store: Pick<Store, "leads">, now: number): Promise<Array<{ source: SourceOf; count: number }>> {
  return countBySource(await store.leads.listCreatedBetween(startOfDay(now, 6), now + 1));
}

function period(leads: readonly LeadRecord[], duplicates: number, calls: readonly LeadEvent[]): PeriodStats {
  const byState: Record<LeadState, number> = { pending: 0, delivered: 0, duplicate: 0, rejected: 0, failed: 0 };
  for (const lead of leads) byState[lead.state] += 1;
  // A name or phone Brainysoft refused while the person was there was asked again and made a new lead:
  // not a delivery failure.
  const corrected = leads.filter((l) => l.state === "rejected" && l.lastError?.startsWith("field-")).length;
  const finished = byState.delivered + byState.rejected + byState.failed - corrected;
  const latencies = calls
    .map((e) => e.latencyMs)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  return {
    leads: leads.length,
    byState,
    duplicates,
    bySource: countBySource(leads),
    successRate: finished === 0 ? undefined : byState.delivered / finished,
    latency:
      latencies.length === 0 ? undefined : { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), calls: latencies.length },
  };
}

export async function collectStats(store: Pick<Store, "leads" | "events">, now: number): Promise<LeadStats> {
  const weekStart = startOfDay(now, 6);
  const todayStart = startOfDay(now);
  const end = now + 1;
  const [weekLeads, weekCalls, weekDuplicates, todayDuplicates, counts, oldest] = await Promise.all([
    store.leads.listCreatedBetween(weekStart, end),
    // Newest first: today's calls are the first of the week's sample.
    store.events.newestBetween(CALL_KINDS, weekStart, end, MAX_CALLS),
    store.events.countByKind(["duplicate"], weekStart, end),
    store.events.countByKind(["duplicate"], todayStart, end),
    store.leads.countByState(),
    store.leads.listByState(["pending"], 1),
  ]);
  const perDay = Array.from({ length: 7 }, (_, i) => {
    const start = startOfDay(now, 6 - i);
    const next = startOfDay(now, 5 - i);
    const day = weekLeads.filter((l) => l.createdAt >= start && l.createdAt < next);
    return {
      start,
      label: formatLocalTime(start, "DD.MM"),
      delivered: day.filter((l) => l.state === "delivered").length,
      waiting: day.filter((l) => l.state === "pending").length,
      failed: day.filter((l) => l.state === "failed" || l.state === "rejected").length,
    };
  });
  return {
    today: period(
      weekLeads.filter((l) => l.createdAt >= todayStart),
      todayDuplicates.duplicate ?? 0,
      weekCalls.filter((e) => e.at >= todayStart),
    ),
    week: period(weekLeads, weekDuplicates.duplicate ?? 0, weekCalls),
    queue: { pending: counts.pending, failed: counts.failed, oldestPendingAt: oldest[0]?.createdAt },
    perDay,
  };
}

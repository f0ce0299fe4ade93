import { crmCallDetail } from "../../src/admin/journal.js";
import { maskPhone } from "../../src/phone.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { LeadRecord, NewLeadEvent } from "../../src/store/types.js";

/**
 * Outbox timings for an app that opens a seeded store: seeded pending leads wait 30 days for their next
 * attempt, and the outbox treats a lead scheduled further ahead than twice its longest delay as left by
 * a clock set back (due now). A cap above 30 days keeps them waiting, as the figures under test expect.
 */
export const SEEDED_OUTBOX = { maxDelayMs: 31 * 86_400_000 };

export interface SeedLead {
  at: number;
  state: "delivered" | "pending" | "failed" | "rejected";
  phone: string;
  firstName?: string;
  /** Deep-link payload; "direct" by default. */
  source?: string;
  agentId?: number;
  /** For delivered leads: the Brainysoft call's latency, recorded as the app records it. */
  latencyMs?: number;
  /** For pending leads: how many attempts failed so far (default 1). */
  attempts?: number;
}

/**
 * Writes a history into the data directory the way the app would have (leads in their states, the
 * journal's events and call records), for a test app started on it afterwards.
 */
export async function seedStore(dataDir: string, leads: SeedLead[], events: NewLeadEvent[] = []): Promise<LeadRecord[]> {
  const store = openSqliteStore({ dataDir });
  const made: LeadRecord[] = [];
  let brainysoftId = 50_000;
  for (const seed of leads) {
    const agent = seed.agentId !== undefined;
    const { lead } = await store.leads.insertUnlessDuplicate(
      {
        chatId: seed.agentId ?? Number(seed.phone.slice(-7)),
        userId: seed.agentId ?? Number(seed.phone.slice(-7)),
        firstName: seed.firstName ?? "Мария",
        phone: seed.phone,
        source: agent ? `agent:${seed.agentId}` : (seed.source ?? "direct"),
        actor: agent ? "agent" : "customer",
        agentId: seed.agentId,
        locale: "ru",
      },
      0,
      seed.at,
    );
    const actor = agent ? `agent:${seed.agentId}` : "customer";
    const about = { leadId: lead.id, source: lead.source, maskedPhone: maskPhone(lead.phone), actor };
    await store.events.record({ at: seed.at, kind: "received", ...about });
    if (seed.state === "delivered") {
      brainysoftId += 1;
      await store.leads.markDelivered(lead.id, brainysoftId, seed.at);
      const call = { kind: "created", leadId: brainysoftId, status: 201, latencyMs: seed.latencyMs ?? 100 } as const;
      const detail = crmCallDetail(call);
      await store.events.record({
        at: seed.at,
        kind: "crm-ok",
        actor: "system",
        source: "brainysoft",
        leadId: lead.id,
        detail,
        latencyMs: call.latencyMs,
        httpStatus: call.status,
      });
      await store.events.record({ at: seed.at, kind: "delivered", ...about, brainysoftId });
    } else if (seed.state === "pending") {
      // Not due for a month: the app's worker leaves it alone, so it stays in the queue.
      for (let n = 0; n < (seed.attempts ?? 1); n++) await store.leads.markRetry(lead.id, "transient", seed.at + 30 * 86_400_000, seed.at);
      await store.events.record({ at: seed.at, kind: "queued", ...about, detail: "transient: HTTP 503" });
    } else {
      await store.leads.markFinal(lead.id, seed.state, seed.state === "failed" ? "transient" : "rejected", seed.at);
      await store.events.record({ at: seed.at, kind: seed.state, ...about });
    }
    made.push((await store.leads.get(lead.id))!);
  }
  for (const event of events) await store.events.record(event);
  await store.close();
  return made;
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLeadJournal, detailText } from "../../src/admin/journal.js";
import { createBrainysoftClient, type BrainysoftClient } from "../../src/brainysoft/client.js";
import { combineListeners, type OutboxListener } from "../../src/leads/outbox-events.js";
import { createTranslate } from "../../src/i18n.js";
import { createLeadOutbox } from "../../src/leads/outbox.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { NewLead, Store } from "../../src/store/types.js";
import { startMockBrainysoft, type MockBrainysoft } from "../../src/fakes/mock-brainysoft.js";

let crm: MockBrainysoft;
let store: Store;
let client: BrainysoftClient;
let dir: string;

beforeEach(async () => {
  crm = await startMockBrainysoft({ token: "journal-token" });
  dir = mkdtempSync(join(tmpdir(), "journal-"));
  store = openSqliteStore({ dataDir: dir });
  client = createBrainysoftClient({ baseUrl: crm.baseUrl, auth: { kind: "token", token: "journal-token" }, timeoutMs: 500 });
});
afterEach(async () => {
  await client.close();
  await store.close();
  await crm.close();
  rmSync(dir, { recursive: true, force: true });
});

const lead = (phone: string, extra: Partial<NewLead> = {}): NewLead => ({
  chatId: 1,
  userId: 1,
  firstName: "Анна",
  phone,
  source: "direct",
  actor: "customer",
  locale: "ru",
  ...extra,
});

/** `clock`: one clock the test moves, for the outbox's wall and monotonic time and the journal's; real time without it. */
function outbox(extra: OutboxListener[] = [], maxAgeMs = 60_000, clock?: () => number) {
  const timing = clock ? { now: clock, clock } : {};
  return createLeadOutbox({
    store,
    client,
    log: pino({ level: "silent" }),
    concurrency: 2,
    duplicateWindowMs: 60_000,
    maxAgeMs,
    baseDelayMs: 1,
    maxDelayMs: 2,
    ...timing,
    listener: combineListeners(createLeadJournal({ events: store.events, ...(clock ? { now: clock } : {}) }), ...extra),
  });
}
const translate = createTranslate("en");
const english = (key: string, vars?: Record<string, string | number>) => translate("en", key, vars);
/** The journal oldest first, as "kind actor #lead detail", the detail as an English-speaking admin reads it. */
async function journal(): Promise<string[]> {
  const events = await store.events.between(0, Date.now() + 1000);
  const detail = (text: string | undefined) => (text === undefined ? "" : detailText(text, english));
  return events.map((e) =>
    [e.kind, e.actor, e.leadId !== undefined ? `#${e.leadId}` : "", e.brainysoftId ?? "", detail(e.detail)]
      .filter((part) => part !== "")
      .join(" "),
  );
}
/** The newest event of a kind, with its detail as stored. */
const stored = async (kind: string) => (await store.events.recent(1, 0, { kinds: [kind] }))[0]?.detail;

describe("the lead journal", () => {
  it("records receipt, each Brainysoft call with its latency, and the delivery, under the agent who handed it in", async () => {
    const result = await outbox().submit(lead("79776200777", { actor: "agent", agentId: 42, source: "agent:42" }));
    expect(result.kind).toBe("created");
    const lines = await journal();
    expect(lines[0]).toBe(`received agent:42 #${result.lead.id}`);
    expect(lines[1]).toMatch(new RegExp(`^crm-ok system #${result.lead.id} created 200 \\d+ms$`));
    expect(lines[2]).toBe(`delivered agent:42 #${result.lead.id} ${crm.created[0]?.id}`);
    const [delivered] = await store.events.recent(1, 0, { kinds: ["delivered"] });
    expect(delivered).toMatchObject({ maskedPhone: "+7 977 ***-**-77", source: "agent:42" });
  });

  it("a lead queued once, each failed call, then given up with the reason", async () => {
    crm.setFault("http503");
    // The lead's age and its retry times are read off a clock the test moves, not waited for.
    let clock = Date.now();
    const box = outbox([], 150, () => clock);
    const { lead: queued } = await box.submit(lead("79776200777"));
    // Each step is longer than any retry delay (at most 2 ms), so every sweep makes one more call:
    // at 0 (the submission), 50, 100 and 150 ms, when the lead is old enough to be given up.
    for (let step = 0; step < 10 && (await store.leads.get(queued.id))?.state === "pending"; step++) {
      clock += 50;
      await box.deliverDue();
    }
    const lines = await journal();
    const calls = crm.received.length;
    expect(calls).toBe(4);
    expect(lines.filter((l) => l.startsWith("crm-error"))).toHaveLength(calls);
    expect(lines.filter((l) => l.startsWith("queued"))).toEqual([`queued customer #${queued.id} transient: HTTP 503 non-JSON body`]);
    expect(lines.at(-1)).toBe(`failed customer #${queued.id} gave up after ${calls} attempts: HTTP 503 non-JSON body`);
    // Stored as a code with its numbers, worded in each admin's language when read.
    expect(JSON.parse((await stored("failed"))!)).toEqual({ code: "gave-up", attempts: calls, reason: "HTTP 503 non-JSON body" });
    const russian = (key: string, vars?: Record<string, string | number>) => translate("ru", key, vars);
    expect(detailText((await stored("failed"))!, russian)).toBe(`попытки прекращены после ${calls} попыток: HTTP 503 non-JSON body`);
  });

  it("a duplicate under whoever handed it in again, and a refused field as rejected", async () => {
    const box = outbox();
    const first = await box.submit(lead("79776200777"));
    await box.submit(lead("79776200777", { actor: "agent", agentId: 7, source: "agent:7" }));
    crm.setFieldError("firstName", 1);
    const refused = await box.submit(lead("79161234567"));
    const lines = await journal();
    expect(lines).toContain(`duplicate agent:7 #${first.lead.id} ${crm.created[0]?.id}`);
    expect(lines.at(-1)).toBe(`rejected customer #${refused.lead.id} Brainysoft refused the name`);
    expect(JSON.parse((await stored("rejected"))!)).toEqual({ code: "field", field: "firstName" });
  });

  it("an observer that fails does not stop a delivery", async () => {
    const broken: OutboxListener = {
      settled: () => Promise.reject(new Error("journal disk full")),
      received: () => {
        throw new Error("boom");
      },
    };
    const result = await outbox([broken]).submit(lead("79776200777"));
    expect(result.kind).toBe("created");
    expect(await store.leads.get(result.lead.id)).toMatchObject({ state: "delivered" });
  });
});

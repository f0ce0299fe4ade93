import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBrainysoftClient, type BrainysoftClient } from "../../src/brainysoft/client.js";
import { createLeadOutbox, type OutboxListener, type OutboxOptions } from "../../src/leads/outbox.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { NewLead, Store } from "../../src/store/types.js";
import { startMockBrainysoft, type MockBrainysoft } from "../harness/mock-brainysoft.js";

const log = pino({ level: "silent" });
const lead = (phone: string, firstName = "Анна"): NewLead => ({
  chatId: Number(phone.slice(-6)),
  userId: Number(phone.slice(-6)),
  firstName,
  phone,
  source: "direct",
  actor: "customer",
  locale: "ru",
});

let crm: MockBrainysoft;
let store: Store;
let client: BrainysoftClient;
let dir: string;
let told: { delivered: [number, number][]; gaveUp: [number, string][] };

beforeEach(async () => {
  crm = await startMockBrainysoft({ token: "t" });
  dir = mkdtempSync(join(tmpdir(), "outbox-"));
  store = openSqliteStore({ dataDir: dir });
  client = createBrainysoftClient({ baseUrl: crm.baseUrl, auth: { kind: "token", token: "t" }, timeoutMs: 300 });
  told = { delivered: [], gaveUp: [] };
});

afterEach(async () => {
  await client.close();
  await store.close();
  await crm.close();
  rmSync(dir, { recursive: true, force: true });
});

function outbox(overrides: Partial<OutboxOptions> = {}) {
  const listener: OutboxListener = {
    delivered: (l, id) => void told.delivered.push([l.id, id]),
    gaveUp: (l, state) => void told.gaveUp.push([l.id, state]),
  };
  return createLeadOutbox({
    store, client, log, listener, concurrency: 4, duplicateWindowMs: 60_000, maxAgeMs: 60_000,
    baseDelayMs: 10, maxDelayMs: 20, ...overrides,
  });
}

describe("LeadOutbox", () => {
  it("commits the lead before calling Brainysoft and answers with the lead number", async () => {
    const result = await outbox().submit(lead("79776200777"));
    expect(result.kind).toBe("created");
    expect(result.kind === "created" && result.brainysoftId).toBe(crm.created[0]?.id);
    const stored = await store.leads.get(result.lead.id);
    expect(stored).toMatchObject({ state: "delivered", brainysoftId: crm.created[0]?.id, phone: "79776200777" });
  });

  it("keeps a lead through an outage and delivers it once when Brainysoft recovers", async () => {
    crm.setFault("http503");
    const box = outbox();
    const result = await box.submit(lead("79776200777"));
    expect(result.kind).toBe("queued");
    expect((await store.leads.get(result.lead.id))?.state).toBe("pending");
    await new Promise((r) => setTimeout(r, 30));
    await box.deliverDue();
    expect(crm.created).toHaveLength(0);
    crm.setFault("none");
    await new Promise((r) => setTimeout(r, 50));
    await box.deliverDue();
    await box.deliverDue();
    expect(crm.created).toHaveLength(1);
    expect(told.delivered).toEqual([[result.lead.id, crm.created[0]?.id]]);
    expect((await store.leads.get(result.lead.id))).toMatchObject({ state: "delivered", notified: true });
  });

  it("answers queued when the first attempt is slow, and tells the result when it arrives", async () => {
    crm.setFault("slow", { slowMs: 150 });
    const result = await outbox({ answerWithinMs: 20 }).submit(lead("79776200777"));
    expect(result.kind).toBe("queued");
    await crm.waitForCreated(1);
    await expect.poll(() => told.delivered.length).toBe(1);
  });

  it("gives one lead for the same phone: sequential repeats and racing submits", async () => {
    const box = outbox();
    const racing = await Promise.all([1, 2, 3, 4, 5].map(() => box.submit(lead("79776200777"))));
    const again = await box.submit(lead("+79776200777".slice(1), "Другое"));
    expect(racing.filter((r) => r.kind === "created")).toHaveLength(1);
    expect(racing.filter((r) => r.kind === "duplicate")).toHaveLength(4);
    expect(again.kind).toBe("duplicate");
    expect(crm.received).toHaveLength(1);
  });

  it("sends no more than `concurrency` requests at once", async () => {
    let active = 0;
    let peak = 0;
    const counting: BrainysoftClient = {
      ...client,
      async createLead(payload) {
        peak = Math.max(peak, ++active);
        try {
          return await client.createLead(payload);
        } finally {
          active--;
        }
      },
    };
    crm.setFault("slow", { slowMs: 40 });
    const box = createLeadOutbox({ store, client: counting, log, listener: {}, concurrency: 3, duplicateWindowMs: 1, maxAgeMs: 60_000 });
    const phones = Array.from({ length: 10 }, (_, i) => `7977620070${i}`);
    const results = await Promise.all(phones.map((p) => box.submit(lead(p))));
    expect(results.every((r) => r.kind === "created")).toBe(true);
    expect(peak).toBe(3);
  });

  it("rejects a field error for good and lets the person try again", async () => {
    crm.setFieldError("mobilePhone", 1);
    const box = outbox();
    const first = await box.submit(lead("79776200777"));
    expect(first).toMatchObject({ kind: "field-error", field: "mobilePhone" });
    expect((await store.leads.get(first.lead.id))).toMatchObject({ state: "rejected", lastError: "field-mobilePhone" });
    expect((await box.submit(lead("79776200777"))).kind).toBe("created");
  });

  it("gives up after the maximum age and an admin can retry", async () => {
    let clock = 1_000_000;
    crm.setFault("http500");
    const box = outbox({ now: () => clock, maxAgeMs: 10_000 });
    const result = await box.submit(lead("79776200777"));
    expect(result.kind).toBe("queued");
    clock += 10_001;
    await box.deliverDue();
    expect((await store.leads.get(result.lead.id))?.state).toBe("failed");
    expect(told.gaveUp).toEqual([[result.lead.id, "failed"]]);
    crm.setFault("none");
    expect(await box.retryNow([result.lead.id])).toBe(1);
    await expect.poll(async () => (await store.leads.get(result.lead.id))?.state).toBe("delivered");
    expect(told.delivered).toHaveLength(1);
  });

  it("retries with growing, capped, jittered delays", async () => {
    let clock = 0;
    crm.setFault("http503");
    const box = outbox({ now: () => clock, baseDelayMs: 1_000, maxDelayMs: 8_000, random: () => 1 });
    const { lead: saved } = await box.submit(lead("79776200777"));
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = await store.leads.get(saved.id);
      delays.push(before!.nextAttemptAt - clock);
      clock = before!.nextAttemptAt;
      await box.deliverDue();
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });
});

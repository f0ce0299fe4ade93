import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createBrainysoftClient, type BrainysoftClient, type CreateLeadResult } from "../../src/brainysoft/client.js";
import type { OutboxListener } from "../../src/leads/outbox-events.js";
import { createLeadOutbox, type OutboxOptions } from "../../src/leads/outbox.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { NewLead, Store } from "../../src/store/types.js";
import { startMockBrainysoft, type MockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import { createStoreFaults } from "../harness/faulty-store.js";

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
    store,
    client,
    log,
    listener,
    concurrency: 4,
    duplicateWindowMs: 60_000,
    maxAgeMs: 60_000,
    baseDelayMs: 10,
    maxDelayMs: 20,
    ...overrides,
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
    // Retry delays are read off this clock (at most maxDelayMs, 20 ms, here).
    let elapsed = 0;
    const box = outbox({ clock: () => elapsed });
    const result = await box.submit(lead("79776200777"));
    expect(result.kind).toBe("queued");
    expect((await store.leads.get(result.lead.id))?.state).toBe("pending");
    elapsed += 30;
    await box.deliverDue();
    expect(crm.created).toHaveLength(0);
    crm.setFault("none");
    elapsed += 50;
    await box.deliverDue();
    await box.deliverDue();
    expect(crm.created).toHaveLength(1);
    expect(told.delivered).toEqual([[result.lead.id, crm.created[0]?.id]]);
    expect(await store.leads.get(result.lead.id)).toMatchObject({ state: "delivered", notified: true });
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
    expect(await store.leads.get(first.lead.id)).toMatchObject({ state: "rejected", lastError: "field-mobilePhone" });
    expect((await box.submit(lead("79776200777"))).kind).toBe("created");
  });

  it("gives up after the maximum age and an admin can retry", async () => {
    let clock = 1_000_000;
    crm.setFault("http500");
    const box = outbox({ now: () => clock, clock: () => clock, maxAgeMs: 10_000 });
    const result = await box.submit(lead("79776200777"));
    expect(result.kind).toBe("queued");
    clock += 10_001;
    await box.deliverDue();
    expect((await store.leads.get(result.lead.id))?.state).toBe("failed");
    expect(told.gaveUp).toEqual([[result.lead.id, "failed"]]);
    crm.setFault("none");
    const [retried, ...more] = await box.retryNow([result.lead.id]);
    expect(more).toEqual([]);
    expect(retried?.lead).toMatchObject({ id: result.lead.id, state: "pending" });
    expect((await retried?.outcome)?.kind).toBe("created");
    await expect.poll(async () => (await store.leads.get(result.lead.id))?.state).toBe("delivered");
    expect(told.delivered).toHaveLength(1);
  });

  it("an admin's retry leaves a lead another replica is sending to it, and takes the rest", async () => {
    crm.setFault("http503");
    const replicaA = outbox({ owner: "a", answerWithinMs: 0 });
    const { lead: busy } = await replicaA.submit(lead("79776200777"));
    const { lead: free } = await replicaA.submit(lead("79161234567"));
    await expect.poll(async () => (await store.leads.get(free.id))?.attempts).toBe(1);
    await expect.poll(async () => (await store.leads.get(busy.id))?.attempts).toBe(1);
    // Replica b's sweep leases the first lead: its attempt is under way there.
    const now = Date.now();
    expect((await store.leads.leaseDue(now + 60_000, 1, 60_000, "b")).map((l) => l.id)).toEqual([busy.id]);
    crm.setFault("none");
    const started = await replicaA.retryNow("all");
    expect(started.map((r) => r.lead.id)).toEqual([free.id]);
    expect((await started[0]?.outcome)?.kind).toBe("created");
    expect(crm.created.map((c) => c.body.mobilePhone)).toEqual(["79161234567"]);
  });

  it("retries with growing, capped, jittered delays", async () => {
    let clock = 0;
    crm.setFault("http503");
    const box = outbox({ now: () => clock, clock: () => clock, baseDelayMs: 1_000, maxDelayMs: 8_000, random: () => 1 });
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

  it("delivers a lead once when an observer of the attempt throws", async () => {
    let elapsed = 0;
    const box = outbox({
      clock: () => elapsed,
      listener: {
        attempted: () => {
          throw new Error("journal is down");
        },
      },
    });
    const result = await box.submit(lead("79776200777"));
    expect(result.kind).toBe("created");
    expect(await store.leads.get(result.lead.id)).toMatchObject({ state: "delivered", brainysoftId: crm.created[0]?.id });
    // Past any retry time it could have been given.
    elapsed += 30;
    expect(await box.deliverDue()).toBe(0);
    expect(crm.received).toHaveLength(1);
  });

  it("sends a lead whose insert committed although its answer was lost at the next sweep, not after its lease", async () => {
    let clock = Date.now();
    const lost: Store = {
      ...store,
      leads: {
        ...store.leads,
        insertUnlessDuplicate: async (...args) => {
          await store.leads.insertUnlessDuplicate(...args);
          throw new Error("Connection terminated unexpectedly");
        },
      },
    };
    const box = outbox({ store: lost, now: () => clock, clock: () => clock, leaseMs: 5 * 60_000 });
    await expect(box.submit(lead("79776200777"))).rejects.toThrow("Connection terminated");
    const [saved] = await store.leads.listByState(["pending"], 10);
    expect(saved).toMatchObject({ attempts: 0 });
    clock += 2_000;
    expect(await box.deliverDue()).toBe(1);
    await expect.poll(() => told.delivered).toEqual([[saved?.id, crm.created[0]?.id]]);
    expect(crm.received).toHaveLength(1);
  });

  it("leaves a lead to its submission while the insert is on its way, however long it takes", async () => {
    let clock = Date.now();
    let arrive = () => {};
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const slow: Store = {
      ...store,
      leads: {
        ...store.leads,
        insertUnlessDuplicate: async (...args) => {
          const inserted = await store.leads.insertUnlessDuplicate(...args);
          await arrived;
          return inserted;
        },
      },
    };
    const box = outbox({ store: slow, now: () => clock, clock: () => clock });
    const submitted = box.submit(lead("79776200777"));
    await expect.poll(() => store.leads.listByState(["pending"], 10)).toHaveLength(1);
    clock += 60_000;
    expect(await box.deliverDue()).toBe(0);
    arrive();
    expect((await submitted).kind).toBe("created");
    expect(crm.received).toHaveLength(1);
  });
});

describe("telling the outcome", () => {
  it("marks a lead answered directly as told, so no later message repeats it", async () => {
    crm.setFieldError("firstName", 1);
    const box = outbox();
    const refused = await box.submit(lead("79776200777"));
    const created = await box.submit(lead("79776200777", "Анна"));
    expect(refused.kind).toBe("field-error");
    expect(created.kind).toBe("created");
    expect(await store.leads.get(refused.lead.id)).toMatchObject({ state: "rejected", notified: true });
    expect(await store.leads.get(created.lead.id)).toMatchObject({ state: "delivered", notified: true });
    // One lead left untold, as a marker that the start has looked at the leads before it.
    const { lead: untold } = await store.leads.insertUnlessDuplicate(lead("79776200888"), 0, Date.now());
    await store.leads.markDelivered(untold.id, 7777, Date.now());

    const restarted = outbox({ now: () => Date.now() + 1_000 });
    restarted.start();
    await expect.poll(() => told.delivered).toEqual([[untold.id, 7777]]);
    await restarted.stop();
    expect(told.gaveUp).toEqual([]);
  });

  it("tells at start, once, the final outcomes nobody was told before it", async () => {
    let clock = 1_000_000;
    const seeded = async (phone: string, finish: (id: number) => Promise<void>) => {
      const { lead: saved } = await store.leads.insertUnlessDuplicate(lead(phone), 0, clock);
      await finish(saved.id);
      return saved.id;
    };
    // As a process that stopped (or died) between a result and its message leaves them.
    const delivered = await seeded("79776200001", (id) => store.leads.markDelivered(id, 5001, clock));
    const failed = await seeded("79776200002", (id) => store.leads.markFinal(id, "failed", "transient", clock));
    const rejected = await seeded("79776200003", (id) => store.leads.markFinal(id, "rejected", "rejected", clock));
    const toldAlready = await seeded("79776200004", async (id) => {
      await store.leads.markDelivered(id, 5004, clock);
      await store.leads.markNotified(id);
    });
    const pending = await seeded("79776200005", async () => undefined);
    const tooOld = await seeded("79776200006", (id) => store.leads.markDelivered(id, 5006, clock - 60_001));
    clock += 1_000;
    crm.setFault("http503");

    const first = outbox({ now: () => clock });
    first.start();
    await expect.poll(() => told.delivered.length + told.gaveUp.length).toBe(3);
    await first.stop();
    expect(told.delivered).toEqual([[delivered, 5001]]);
    expect(told.gaveUp).toEqual([
      [failed, "failed"],
      [rejected, "rejected"],
    ]);
    for (const id of [delivered, failed, rejected, toldAlready]) expect((await store.leads.get(id))?.notified).toBe(true);
    expect((await store.leads.get(pending))?.state).toBe("pending");
    expect((await store.leads.get(tooOld))?.notified).toBe(false);

    const marker = await seeded("79776200007", (id) => store.leads.markDelivered(id, 5007, clock));
    clock += 1_000;
    const second = outbox({ now: () => clock });
    second.start();
    await expect
      .poll(() => told.delivered)
      .toEqual([
        [delivered, 5001],
        [marker, 5007],
      ]);
    await second.stop();
    expect(told.gaveUp).toHaveLength(2);
  });

  it("counts the number told in the answer to its creator's repeat as told, so no later message repeats it", async () => {
    // As a replica that died after the delivery, before telling it, leaves a lead.
    const { lead: untold } = await store.leads.insertUnlessDuplicate(lead("79776200777"), 0, Date.now());
    await store.leads.markDelivered(untold.id, 7777, Date.now());
    const { lead: strangers } = await store.leads.insertUnlessDuplicate(lead("79776200888"), 0, Date.now());
    await store.leads.markDelivered(strangers.id, 8888, Date.now());

    const box = outbox();
    // Its creator sends the contact again (Telegram re-sent it to another replica): the answer carries the number.
    expect(await box.submit(lead("79776200777"))).toMatchObject({ kind: "duplicate", lead: { brainysoftId: 7777 } });
    // Someone else typing that phone hears nothing of the number: the creator is still to be told.
    expect(await box.submit({ ...lead("79776200888"), userId: 1, chatId: 1 })).toMatchObject({ kind: "duplicate" });
    expect((await store.leads.get(untold.id))?.notified).toBe(true);
    expect((await store.leads.get(strangers.id))?.notified).toBe(false);

    const restarted = outbox({ now: () => Date.now() + 1_000 });
    restarted.start();
    await expect.poll(() => told.delivered).toEqual([[strangers.id, 8888]]);
    await restarted.stop();
  });

  it("keeps an outcome whose message failed as not told, and tells it at the next start", async () => {
    crm.setFault("slow", { slowMs: 100 });
    let failing = true;
    const box = outbox({
      answerWithinMs: 10,
      listener: {
        delivered: (l, id) => {
          if (failing) throw new Error("Telegram is down");
          told.delivered.push([l.id, id]);
        },
      },
    });
    const result = await box.submit(lead("79776200777"));
    expect(result.kind).toBe("queued");
    await expect.poll(async () => (await store.leads.get(result.lead.id))?.state).toBe("delivered");
    await box.stop();
    expect((await store.leads.get(result.lead.id))?.notified).toBe(false);

    failing = false;
    // The next start runs later than the delivery.
    const later = outbox({ now: () => Date.now() + 1_000, listener: { delivered: (l, id) => void told.delivered.push([l.id, id]) } });
    later.start();
    await expect.poll(() => told.delivered).toEqual([[result.lead.id, crm.created[0]?.id]]);
    await later.stop();
    expect((await store.leads.get(result.lead.id))?.notified).toBe(true);
  });
});

/** A Brainysoft that gives `answer` at once, with the leads it was sent counted: for tests on fake timers. */
function scripted(answer: () => CreateLeadResult): BrainysoftClient & { calls: number } {
  const scriptedClient = {
    calls: 0,
    createLead: async () => {
      scriptedClient.calls++;
      return answer();
    },
    ping: async () => ({ reachable: true, latencyMs: 0 }),
    close: async () => undefined,
  };
  return scriptedClient;
}
const createdAs = (leadId: number) => (): CreateLeadResult => ({ kind: "created", leadId, status: 200, latencyMs: 1 });
const unavailable = (): CreateLeadResult => ({ kind: "transient", status: 503, latencyMs: 1, detail: "HTTP 503" });

describe("issue 12.1: a result the store refuses (a full disk)", () => {
  afterEach(() => void vi.useRealTimers());

  it("issue 12.1: is held in memory and written again with backoff, and the lead Brainysoft created is never sent again meanwhile", async () => {
    vi.useFakeTimers();
    const faults = createStoreFaults();
    const crmAnswer = scripted(createdAs(5001));
    const owed: number[] = [];
    const box = outbox({ store: faults.wrap(store), client: crmAnswer, writeHealth: { owed: (count) => void owed.push(count) } });
    faults.fail("leads.markDelivered");

    const result = await box.submit(lead("79776200777"));
    // Brainysoft has it: the person hears the number, whatever the disk says.
    expect(result).toMatchObject({ kind: "created", brainysoftId: 5001 });
    expect(owed.at(-1)).toBe(1);
    const refusedBy = async (seconds: number) => {
      await vi.advanceTimersByTimeAsync(seconds * 1_000);
      await box.deliverDue();
      return faults.refused["leads.markDelivered"];
    };
    // Written again after 1 s, then 2, 4, 8 s (doubling): at 1, 3, 7 and 15 s after the first refusal.
    expect([await refusedBy(1), await refusedBy(1), await refusedBy(1), await refusedBy(4), await refusedBy(8)]).toEqual([2, 2, 3, 4, 5]);
    await box.retryNow("all");
    expect(crmAnswer.calls).toBe(1);
    expect((await store.leads.get(result.lead.id))?.state).toBe("pending");

    faults.heal();
    await vi.advanceTimersByTimeAsync(16_000);
    expect(await store.leads.get(result.lead.id)).toMatchObject({ state: "delivered", brainysoftId: 5001, notified: true });
    // The write is told done once it commits, at the end of a real turn of the event loop.
    await vi.waitFor(() => expect(owed.at(-1)).toBe(0));
    expect(await box.deliverDue()).toBe(0);
    expect(crmAnswer.calls).toBe(1);
  });

  it("issue 12.1: a duplicate of a held lead is answered with the number Brainysoft gave", async () => {
    const faults = createStoreFaults();
    const box = outbox({ store: faults.wrap(store), client: scripted(createdAs(5002)) });
    faults.fail("leads.markDelivered");
    await box.submit(lead("79776200777"));
    const again = await box.submit(lead("79776200777"));
    expect(again).toMatchObject({ kind: "duplicate", lead: { state: "delivered", brainysoftId: 5002 } });
    await box.stop();
  });
});

describe("issue 12.13: waits on the monotonic clock", () => {
  it("issue 12.13: a wall clock set forward or back neither sends a waiting lead early nor stalls it", async () => {
    let wall = 1_000_000_000;
    let monotonic = 0;
    const crmAnswer = scripted(unavailable);
    const box = outbox({
      client: crmAnswer,
      now: () => wall,
      clock: () => monotonic,
      baseDelayMs: 10_000,
      maxDelayMs: 60_000,
      random: () => 1,
    });
    await box.submit(lead("79776200777"));
    expect(crmAnswer.calls).toBe(1);

    wall += 60 * 60_000; // set forward an hour: the 10 s wait has not passed
    await box.deliverDue();
    expect(crmAnswer.calls).toBe(1);

    wall -= 2 * 60 * 60_000; // set back an hour before the start, while the 10 s really pass
    monotonic += 10_000;
    await box.deliverDue();
    expect(crmAnswer.calls).toBe(2);
  });

  it("issue 12.13: a lead scheduled further ahead than any retry (by a clock since set back) is due now", async () => {
    const at = Date.now();
    const { lead: saved } = await store.leads.insertUnlessDuplicate(lead("79776200777"), 0, at);
    await store.leads.markRetry(saved.id, "transient", at + 10 * 60 * 60_000, at);
    const crmAnswer = scripted(createdAs(5003));
    const box = outbox({ client: crmAnswer, maxDelayMs: 60_000 });
    expect(await box.deliverDue()).toBe(1);
    expect(crmAnswer.calls).toBe(1);
  });
});

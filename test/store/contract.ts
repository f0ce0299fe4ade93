/**
 * What every Store does, whichever database is behind it: storeContract registers these tests for a
 * way to open stores, and test/store/{sqlite,postgres}.contract.test.ts run them against each. A
 * store-specific test (files, permissions, migrations, errors at open) belongs in that store's file.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JsonText } from "../../src/store/json-text.js";
import type { NewLead, Store } from "../../src/store/types.js";

export interface StoreTarget {
  /** Opens the test's database (empty at first); a second call is a second connection to it, as another replica. */
  open(options?: { updateKeepMs?: number }): Promise<Store>;
  /** Deletes what the test's database left behind, once its stores are closed. */
  cleanup(): Promise<void>;
}

const HOUR = 60 * 60 * 1000;
const T0 = 1_700_000_000_000;

export function lead(phone = "79776200777", extra: Partial<NewLead> = {}): NewLead {
  return { chatId: 100, userId: 200, firstName: "Ivan", phone, source: "customer", actor: "customer", locale: "ru", ...extra };
}

/** A promise and the function that resolves it, for ordering concurrent callers. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export function storeContract(newTarget: () => Promise<StoreTarget>): void {
  let target: StoreTarget;
  const opened: Store[] = [];
  const openStore = async (options?: { updateKeepMs?: number }) => {
    const store = await target.open(options);
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    target = await newTarget();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await target.cleanup();
  });

  describe("opening", () => {
    it("is ready, and keeps data across a reopen", async () => {
      const first = await openStore();
      await first.ready();
      expect(await first.leads.countByState()).toEqual({ pending: 0, delivered: 0, duplicate: 0, rejected: 0, failed: 0 });
      const { lead: inserted } = await first.leads.insertUnlessDuplicate(lead(), HOUR, T0);
      await first.roles.addAgent(5, 1, T0);
      await first.close();

      const second = await openStore();
      expect(await second.leads.get(inserted.id)).toEqual(inserted);
      expect(await second.roles.listAgents()).toEqual([5]);
    });

    it("close is idempotent", async () => {
      const store = await target.open();
      await store.close();
      await store.close();
    });
  });

  describe("leads", () => {
    it("inserts a pending lead with every field", async () => {
      const store = await openStore();
      const full = lead("79001234567", {
        lastName: "Petrov",
        agentId: 42,
        actor: "agent",
        source: "agent:42",
        consentAt: T0 - 5,
        locale: "en",
      });
      const { lead: inserted, duplicate } = await store.leads.insertUnlessDuplicate(full, HOUR, T0);
      expect(duplicate).toBe(false);
      expect(inserted).toEqual({
        ...full,
        id: inserted.id,
        state: "pending",
        attempts: 0,
        brainysoftId: undefined,
        lastError: undefined,
        createdAt: T0,
        updatedAt: T0,
        nextAttemptAt: T0,
        requeuedAt: undefined,
        notified: false,
      });
      expect(await store.leads.get(inserted.id)).toEqual(inserted);
      expect(await store.leads.get(inserted.id + 1000)).toBeUndefined();

      const minimal = (await store.leads.insertUnlessDuplicate(lead("79000000000"), HOUR, T0)).lead;
      expect(minimal.lastName).toBeUndefined();
      expect(minimal.agentId).toBeUndefined();
      expect(minimal.consentAt).toBeUndefined();
    });

    it("keeps Telegram ids beyond 32 bits and group chats' negative ids", async () => {
      const store = await openStore();
      const big = lead("79001234567", { chatId: -1001234567890, userId: 7_123_456_789, agentId: 8_000_000_001 });
      const { lead: inserted } = await store.leads.insertUnlessDuplicate(big, HOUR, T0);
      expect(await store.leads.get(inserted.id)).toMatchObject({ chatId: -1001234567890, userId: 7_123_456_789, agentId: 8_000_000_001 });
      await store.leads.markDelivered(inserted.id, 9_007_199_254_740_991, T0 + 1);
      expect((await store.leads.get(inserted.id))?.brainysoftId).toBe(9_007_199_254_740_991);
    });

    it("treats the same phone within the window as a duplicate, and outside it as new", async () => {
      const store = await openStore();
      const first = await store.leads.insertUnlessDuplicate(lead(), HOUR, T0);

      const inside = await store.leads.insertUnlessDuplicate(lead("79776200777", { firstName: "Other" }), HOUR, T0 + HOUR - 1);
      expect(inside.duplicate).toBe(true);
      expect(inside.lead).toEqual(first.lead);

      const edge = await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + HOUR);
      expect(edge.duplicate).toBe(true);

      const otherPhone = await store.leads.insertUnlessDuplicate(lead("79776200778"), HOUR, T0 + 1);
      expect(otherPhone.duplicate).toBe(false);

      const outside = await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + HOUR + 1);
      expect(outside.duplicate).toBe(false);
      expect(outside.lead.id).not.toBe(first.lead.id);

      // The newest matching lead is the one returned.
      const again = await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + HOUR + 2);
      expect(again).toEqual({ lead: outside.lead, duplicate: true });
      expect((await store.leads.countByState()).pending).toBe(3);
      expect(await store.leads.findRecent("79776200777", T0)).toEqual(outside.lead);
      expect(await store.leads.findRecent("79776200777", T0 + HOUR + 2)).toBeUndefined();
    });

    it("does not count rejected or failed leads as duplicates, but does count delivered ones", async () => {
      const store = await openStore();
      const a = (await store.leads.insertUnlessDuplicate(lead(), HOUR, T0)).lead;
      await store.leads.markFinal(a.id, "rejected", "rejected", T0 + 1);
      const b = await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + 2);
      expect(b.duplicate).toBe(false);
      await store.leads.markFinal(b.lead.id, "failed", "transient", T0 + 3);
      const c = await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + 4);
      expect(c.duplicate).toBe(false);
      await store.leads.markDelivered(c.lead.id, 9001, T0 + 5);
      const d = await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + 6);
      expect(d.duplicate).toBe(true);
      expect(d.lead.id).toBe(c.lead.id);
    });

    it("counts a lead stamped later than `now` (another replica's clock) as a duplicate", async () => {
      const store = await openStore();
      await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + 50);
      expect((await store.leads.insertUnlessDuplicate(lead(), HOUR, T0)).duplicate).toBe(true);
    });

    it("gives one insert per phone to two connections racing", async () => {
      const a = await openStore();
      const b = await openStore();
      const phones = Array.from({ length: 20 }, (_, i) => `7900${String(i).padStart(7, "0")}`);
      const results = await Promise.all(
        phones.flatMap((phone, i) => [
          a.leads.insertUnlessDuplicate(lead(phone), HOUR, T0 + i),
          b.leads.insertUnlessDuplicate(lead(phone), HOUR, T0 + i),
          a.leads.insertUnlessDuplicate(lead(phone), HOUR, T0 + i + 1),
        ]),
      );
      for (const phone of phones) {
        const mine = results.filter((r) => r.lead.phone === phone);
        expect(
          mine.filter((r) => !r.duplicate),
          phone,
        ).toHaveLength(1);
        expect(new Set(mine.map((r) => r.lead.id)).size, phone).toBe(1);
      }
      expect((await b.leads.countByState()).pending).toBe(phones.length);
    });

    it("lists due pending leads oldest first, up to the limit", async () => {
      const store = await openStore();
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.leads.insertUnlessDuplicate(lead(`7900000000${i}`), HOUR, T0 + i)).lead.id);
      await store.leads.markRetry(ids[0]!, "transient", T0 + 100, T0 + 10); // not due until T0+100
      await store.leads.markDelivered(ids[1]!, 1, T0 + 10);

      const due = await store.leads.duePending(T0 + 50, 10);
      expect(due.map((l) => l.id)).toEqual([ids[2], ids[3], ids[4]]);
      expect((await store.leads.duePending(T0 + 50, 2)).map((l) => l.id)).toEqual([ids[2], ids[3]]);
      expect((await store.leads.duePending(T0 + 100, 10)).map((l) => l.id)).toEqual([ids[0], ids[2], ids[3], ids[4]]);
      expect(await store.leads.duePending(T0 - 1, 10)).toEqual([]);
    });

    it("moves through retry, final, delivered, requeue and notified", async () => {
      const store = await openStore();
      const id = (await store.leads.insertUnlessDuplicate(lead(), HOUR, T0)).lead.id;

      await store.leads.markRetry(id, "transient", T0 + 60_000, T0 + 1);
      expect(await store.leads.get(id)).toMatchObject({
        state: "pending",
        attempts: 1,
        lastError: "transient",
        nextAttemptAt: T0 + 60_000,
        updatedAt: T0 + 1,
      });

      await store.leads.markFinal(id, "failed", "auth", T0 + 2);
      expect(await store.leads.get(id)).toMatchObject({ state: "failed", attempts: 2, lastError: "auth", updatedAt: T0 + 2 });

      // Retry and final only apply to pending leads: a late call cannot resurrect a failed one.
      await store.leads.markRetry(id, "transient", T0 + 5, T0 + 3);
      await store.leads.markFinal(id, "rejected", "rejected", T0 + 3);
      expect(await store.leads.get(id)).toMatchObject({ state: "failed", attempts: 2, lastError: "auth" });

      await store.leads.markNotified(id);
      expect((await store.leads.get(id))?.notified).toBe(true);

      expect(await store.leads.requeue(id, T0 + 4)).toBe(true);
      expect(await store.leads.get(id)).toMatchObject({
        state: "pending",
        attempts: 2,
        nextAttemptAt: T0 + 4,
        requeuedAt: T0 + 4,
        updatedAt: T0 + 4,
        notified: false,
      });
      expect(await store.leads.requeue(id, T0 + 5)).toBe(false); // pending cannot be requeued

      await store.leads.markDelivered(id, 777, T0 + 6);
      expect(await store.leads.get(id)).toMatchObject({
        state: "delivered",
        brainysoftId: 777,
        attempts: 3,
        lastError: undefined,
        requeuedAt: T0 + 4,
        updatedAt: T0 + 6,
      });
      expect(await store.leads.requeue(id, T0 + 7)).toBe(false); // delivered cannot be requeued

      const rejected = (await store.leads.insertUnlessDuplicate(lead("79000000001"), HOUR, T0)).lead.id;
      await store.leads.markFinal(rejected, "rejected", "field-mobilePhone", T0 + 1);
      expect(await store.leads.get(rejected)).toMatchObject({ state: "rejected", lastError: "field-mobilePhone", attempts: 1 });
      expect(await store.leads.requeue(rejected, T0 + 2)).toBe(true);
      expect(await store.leads.requeue(9999, T0 + 2)).toBe(false);
    });

    it("lists by state, created-between and counts", async () => {
      const store = await openStore();
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await store.leads.insertUnlessDuplicate(lead(`7900000000${i}`), HOUR, T0 + i * 10)).lead.id);
      await store.leads.markFinal(ids[0]!, "failed", "transient", T0 + 100);
      await store.leads.markFinal(ids[2]!, "rejected", "field-firstName", T0 + 100);
      await store.leads.markDelivered(ids[3]!, 5, T0 + 100);

      expect((await store.leads.listByState(["failed", "rejected"], 10)).map((l) => l.id)).toEqual([ids[0], ids[2]]);
      expect((await store.leads.listByState(["failed", "rejected"], 1)).map((l) => l.id)).toEqual([ids[0]]);
      expect(await store.leads.listByState([], 10)).toEqual([]);
      expect((await store.leads.listCreatedBetween(T0 + 10, T0 + 30)).map((l) => l.id)).toEqual([ids[1], ids[2]]);
      expect(await store.leads.countByState()).toEqual({ pending: 1, delivered: 1, duplicate: 0, rejected: 1, failed: 1 });
    });

    it("matches a lead held as unconfirmed as a duplicate: Brainysoft may have created it", async () => {
      const store = await openStore();
      const { lead: held } = await store.leads.insertUnlessDuplicate(lead("79000000020"), HOUR, T0);
      await store.leads.markFinal(held.id, "rejected", "unconfirmed", T0 + 1);
      const again = await store.leads.insertUnlessDuplicate(lead("79000000020"), HOUR, T0 + 2);
      expect(again).toMatchObject({ duplicate: true, lead: { id: held.id } });
      expect((await store.leads.findRecent("79000000020", T0))?.id).toBe(held.id);
    });

    it("reads a period in pages after a (created, id) mark, each lead once", async () => {
      const store = await openStore();
      const ids: number[] = [];
      // Two leads share a creation time: the page boundary must fall between them without losing one.
      for (const [i, at] of [T0, T0 + 10, T0 + 10, T0 + 20, T0 + 30].entries()) {
        ids.push((await store.leads.insertUnlessDuplicate(lead(`7900000001${i}`), HOUR, at)).lead.id);
      }
      const seen: number[] = [];
      let after: { createdAt: number; id: number } | undefined;
      for (;;) {
        const page = await store.leads.listCreatedBetween(T0, T0 + 30, { after, limit: 2 });
        seen.push(...page.map((l) => l.id));
        const last = page.at(-1);
        if (!last || page.length < 2) break;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual(ids.slice(0, 4));
    });

    it("lists final outcomes nobody was told, in a period, by id", async () => {
      const store = await openStore();
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.leads.insertUnlessDuplicate(lead(`7900000000${i}`), HOUR, T0)).lead.id);
      await store.leads.markDelivered(ids[0]!, 1, T0 + 10);
      await store.leads.markFinal(ids[1]!, "rejected", "rejected", T0 + 20);
      await store.leads.markFinal(ids[2]!, "failed", "transient", T0 + 30);
      await store.leads.markDelivered(ids[3]!, 2, T0 + 40);
      await store.leads.markNotified(ids[3]!);
      // ids[4] stays pending.
      const unnotified = async (from: number, to: number, afterId: number, limit: number) =>
        (await store.leads.unnotified({ from, to, afterId, limit })).map((l) => l.id);
      expect(await unnotified(T0, T0 + 100, 0, 10)).toEqual([ids[0], ids[1], ids[2]]);
      expect(await unnotified(T0, T0 + 100, ids[0]!, 1)).toEqual([ids[1]]);
      expect(await unnotified(T0 + 11, T0 + 30, 0, 10)).toEqual([ids[1]]);
    });

    it("counts a customer's own leads for the daily cap, not agents' or corrected ones", async () => {
      const store = await openStore();
      await store.leads.insertUnlessDuplicate(lead("79000000001"), HOUR, T0);
      const corrected = (await store.leads.insertUnlessDuplicate(lead("79000000002"), HOUR, T0 + 1)).lead.id;
      await store.leads.markFinal(corrected, "rejected", "field-mobilePhone", T0 + 2);
      const refused = (await store.leads.insertUnlessDuplicate(lead("79000000003"), HOUR, T0 + 3)).lead.id;
      await store.leads.markFinal(refused, "rejected", "rejected", T0 + 4);
      await store.leads.insertUnlessDuplicate(lead("79000000004", { actor: "agent", agentId: 200, source: "agent:200" }), HOUR, T0 + 5);
      await store.leads.insertUnlessDuplicate(lead("79000000005", { userId: 201 }), HOUR, T0 + 6);
      await store.leads.insertUnlessDuplicate(lead("79000000006"), HOUR, T0 - 1);
      expect(await store.leads.countByUserSince(200, T0)).toBe(2);
      expect(await store.leads.countByUserSince(200, T0 + 1)).toBe(1);
      expect(await store.leads.countByUserSince(999, 0)).toBe(0);
    });
  });

  describe("leases on due leads", () => {
    it("leases due leads oldest first to one owner until the lease runs out, then to another", async () => {
      const store = await openStore();
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await store.leads.insertUnlessDuplicate(lead(`7900000000${i}`), HOUR, T0 + i)).lead.id);
      await store.leads.markRetry(ids[2]!, "transient", T0 + 500, T0 + 3); // not due yet

      const taken = await store.leads.leaseDue(T0 + 10, 10, 1_000, "replica-a");
      expect(taken.map((l) => l.id)).toEqual([ids[0], ids[1]]);
      expect(taken[0]).toEqual(await store.leads.get(ids[0]!));
      // Leased: nobody gets them while the lease runs, however often they ask.
      expect(await store.leads.leaseDue(T0 + 20, 10, 1_000, "replica-b")).toEqual([]);
      expect((await store.leads.leaseDue(T0 + 1_009, 10, 1_000, "replica-b")).map((l) => l.id)).toEqual([ids[2]]);
      // replica-a died mid-attempt: its leases run out and replica-b takes the leads over.
      expect((await store.leads.leaseDue(T0 + 1_010, 1, 1_000, "replica-b")).map((l) => l.id)).toEqual([ids[0]]);
      expect((await store.leads.leaseDue(T0 + 1_010, 10, 1_000, "replica-b")).map((l) => l.id)).toEqual([ids[1]]);
      // Only pending leads are due: duePending still lists them (leases are for the replicas' outbox).
      expect((await store.leads.duePending(T0 + 1_010, 10)).map((l) => l.id)).toEqual([ids[0], ids[1], ids[2]]);
    });

    it("ends a lease when its attempt is recorded, so the next attempt is free to lease", async () => {
      const store = await openStore();
      const retried = (await store.leads.insertUnlessDuplicate(lead("79000000001"), HOUR, T0)).lead.id;
      const failed = (await store.leads.insertUnlessDuplicate(lead("79000000002"), HOUR, T0)).lead.id;
      const delivered = (await store.leads.insertUnlessDuplicate(lead("79000000003"), HOUR, T0)).lead.id;
      expect(await store.leads.leaseDue(T0, 10, HOUR, "a")).toHaveLength(3);

      await store.leads.markRetry(retried, "transient", T0 + 100, T0 + 1);
      await store.leads.markFinal(failed, "failed", "transient", T0 + 1);
      await store.leads.markDelivered(delivered, 7, T0 + 1);
      // Well within the hour's lease: the retry is due and free, the others are no longer pending.
      expect((await store.leads.leaseDue(T0 + 100, 10, HOUR, "b")).map((l) => l.id)).toEqual([retried]);
      // An admin's retry starts a new attempt, free to lease at once.
      expect(await store.leads.requeue(failed, T0 + 101)).toBe(true);
      expect((await store.leads.leaseDue(T0 + 101, 10, HOUR, "b")).map((l) => l.id)).toEqual([failed]);
    });

    it("leases the leads an admin names, due or not, unless another replica is sending one", async () => {
      const store = await openStore();
      // One after another, so that ids rise in this order (PostgreSQL numbers concurrent inserts as they land).
      const ids: number[] = [];
      for (const [i, phone] of ["79000000001", "79000000002", "79000000003", "79000000004"].entries()) {
        ids.push((await store.leads.insertUnlessDuplicate(lead(phone), HOUR, T0 + i)).lead.id);
      }
      const [mine, theirs, later, done] = ids;
      expect((await store.leads.leaseDue(T0 + 10, 10, HOUR, "a")).map((l) => l.id)).toEqual([mine, theirs, later, done]);
      await store.leads.releaseLease(theirs!, "a");
      expect((await store.leads.leaseDue(T0 + 11, 10, HOUR, "b")).map((l) => l.id)).toEqual([theirs]);
      await store.leads.markRetry(later!, "transient", T0 + 50_000, T0 + 12); // not due for a while
      await store.leads.markDelivered(done!, 7, T0 + 12);

      const taken = await store.leads.leaseNamed([done!, later!, theirs!, mine!, 999_999], T0 + 20, HOUR, "a");
      // Its own lease and a free one: taken. Another replica's, a delivered lead, an unknown id: not.
      expect(taken.map((l) => l.id)).toEqual([mine, later]);
      expect(taken[1]).toEqual(await store.leads.get(later!));
      expect(await store.leads.leaseDue(T0 + 50_001, 10, HOUR, "b")).toEqual([]);
      expect(await store.leads.leaseNamed([], T0 + 21, HOUR, "a")).toEqual([]);
    });

    it("takes back its owner's leases it names as orphans, never one taken later, one it excepts or another owner's", async () => {
      const store = await openStore();
      const ids: number[] = [];
      for (const [i, phone] of ["79000000001", "79000000002", "79000000003", "79000000004"].entries()) {
        const owner = i === 3 ? "b" : "a";
        ids.push((await store.leads.insertUnlessDuplicate(lead(phone), HOUR, T0 + i * 10, { owner, until: T0 + i * 10 + HOUR })).lead.id);
      }
      const [orphan, busy, later, theirs] = ids;
      expect(await store.leads.leaseDue(T0 + 100, 10, HOUR, "a")).toEqual([]);
      const taken = await store.leads.leaseDue(T0 + 100, 10, HOUR, "a", undefined, { leasedBefore: T0 + 15, except: [busy!] });
      expect(taken.map((l) => l.id)).toEqual([orphan]);
      // Taken again just now: no longer leased before T0 + 15.
      expect(await store.leads.leaseDue(T0 + 101, 10, HOUR, "a", undefined, { leasedBefore: T0 + 15, except: [busy!] })).toEqual([]);
      const b = await store.leads.leaseDue(T0 + 102, 10, HOUR, "b", undefined, { leasedBefore: T0 + 35, except: [] });
      expect(b.map((l) => l.id)).toEqual([theirs]);
      const a = await store.leads.leaseDue(T0 + 103, 10, HOUR, "a", undefined, { leasedBefore: T0 + 25, except: [] });
      expect(a.map((l) => l.id)).toEqual([busy, later]);
    });

    it("gives a lease back only to its owner", async () => {
      const store = await openStore();
      const id = (await store.leads.insertUnlessDuplicate(lead(), HOUR, T0)).lead.id;
      await store.leads.leaseDue(T0, 10, HOUR, "a");
      expect(await store.leads.releaseLease(id, "b")).toBe(false);
      expect(await store.leads.leaseDue(T0 + 1, 10, HOUR, "b")).toEqual([]);
      expect(await store.leads.releaseLease(id, "a")).toBe(true);
      expect(await store.leads.releaseLease(id, "a")).toBe(false);
      expect((await store.leads.leaseDue(T0 + 2, 10, HOUR, "b")).map((l) => l.id)).toEqual([id]);
    });

    it("never gives one lead to two replicas leasing at once", async () => {
      const replicas = [await openStore(), await openStore(), await openStore()];
      const count = 60;
      for (let i = 0; i < count; i++) await replicas[0]!.leads.insertUnlessDuplicate(lead(`7900${String(i).padStart(7, "0")}`), HOUR, T0);
      const leased = new Map<number, string>();
      const duplicates: string[] = [];
      await Promise.all(
        replicas.map(async (store, r) => {
          for (let round = 0; round < 100; round++) {
            const batch = await store.leads.leaseDue(T0 + 1, 4, HOUR, `replica-${r}`);
            for (const l of batch) {
              if (leased.has(l.id)) duplicates.push(`${l.id}: ${leased.get(l.id)} and replica-${r}`);
              leased.set(l.id, `replica-${r}`);
            }
            if (leased.size === count) return;
          }
        }),
      );
      expect(duplicates).toEqual([]);
      expect(leased.size).toBe(count);
    });
  });

  describe("events", () => {
    it("returns recent events newest first, with filters and offset paging", async () => {
      const store = await openStore();
      const kinds = ["received", "delivered", "queued", "failed"];
      for (let i = 0; i < 12; i++) {
        await store.events.record({
          at: T0 + i,
          kind: kinds[i % 4]!,
          actor: i % 2 === 0 ? "customer" : "agent:7",
          source: "spring_promo",
          maskedPhone: "7977***0777",
          leadId: i,
          brainysoftId: i % 4 === 1 ? 1000 + i : undefined,
          detail: i === 0 ? "first" : undefined,
        });
      }

      const page1 = await store.events.recent(5, 0);
      expect(page1.map((e) => e.at)).toEqual([11, 10, 9, 8, 7].map((n) => T0 + n));
      const page2 = await store.events.recent(5, 5);
      expect(page2.map((e) => e.at)).toEqual([6, 5, 4, 3, 2].map((n) => T0 + n));
      const page3 = await store.events.recent(5, 10);
      expect(page3.map((e) => e.at)).toEqual([T0 + 1, T0]);
      expect(page3[1]).toEqual({
        id: page3[1]!.id,
        at: T0,
        kind: "received",
        actor: "customer",
        source: "spring_promo",
        maskedPhone: "7977***0777",
        leadId: 0,
        brainysoftId: undefined,
        detail: "first",
      });

      const delivered = await store.events.recent(10, 0, { kinds: ["delivered", "failed"] });
      expect(delivered.map((e) => e.at)).toEqual([11, 9, 7, 5, 3, 1].map((n) => T0 + n));
      const byAgent = await store.events.recent(10, 0, { actor: "agent:7" });
      expect(byAgent.every((e) => e.actor === "agent:7")).toBe(true);
      expect(byAgent).toHaveLength(6);
      const both = await store.events.recent(2, 1, { kinds: ["received", "queued"], actor: "customer" });
      expect(both.map((e) => e.at)).toEqual([T0 + 8, T0 + 6]);
      expect(await store.events.recent(10, 0, { kinds: [] })).toEqual([]);

      expect((await store.events.between(T0 + 3, T0 + 6)).map((e) => e.at)).toEqual([T0 + 3, T0 + 4, T0 + 5]);
    });

    it("keeps a Brainysoft call's latency and HTTP status as numbers", async () => {
      const store = await openStore();
      await store.events.record({ at: T0, kind: "crm-error", actor: "system", latencyMs: 1520, httpStatus: 503, detail: "transient" });
      await store.events.record({ at: T0 + 1, kind: "crm-error", actor: "system", latencyMs: 7, detail: "timeout" });
      const [timeout, refused] = await store.events.between(T0, T0 + 2).then((events) => events.reverse());
      expect(refused).toMatchObject({ latencyMs: 1520, httpStatus: 503 });
      expect(timeout).toMatchObject({ latencyMs: 7 });
      expect(timeout?.httpStatus).toBeUndefined();
    });

    it("stamps events with the current time when `at` is omitted", async () => {
      const store = await openStore();
      const before = Date.now();
      await store.events.record({ kind: "error", actor: "system" });
      const [event] = await store.events.recent(1, 0);
      expect(event?.at).toBeGreaterThanOrEqual(before);
      expect(event?.at).toBeLessThanOrEqual(Date.now());
    });

    describe("periods", () => {
      let store: Store;
      beforeEach(async () => {
        store = await openStore();
        // Before, inside and after the period [T0, T0 + 100).
        const events: Array<[number, string]> = [
          [T0 - 1, "duplicate"],
          [T0, "duplicate"],
          [T0 + 10, "crm-ok"],
          [T0 + 20, "crm-error"],
          [T0 + 20, "duplicate"],
          [T0 + 30, "crm-ok"],
          [T0 + 40, "received"],
          [T0 + 99, "crm-ok"],
          [T0 + 100, "crm-ok"],
          [T0 + 100, "duplicate"],
        ];
        for (const [at, kind] of events) await store.events.record({ at, kind, actor: "system", detail: `${kind}@${at - T0}` });
      });

      it("counts the events of some kinds in [from, to), by kind", async () => {
        expect(await store.events.countByKind(["duplicate", "crm-ok", "crm-error"], T0, T0 + 100)).toEqual({
          duplicate: 2,
          "crm-ok": 3,
          "crm-error": 1,
        });
        expect(await store.events.countByKind(["duplicate"], T0 + 21, T0 + 100)).toEqual({});
        expect(await store.events.countByKind([], T0 - 10, T0 + 200)).toEqual({});
      });

      it("gives at most `limit` of the period's events of some kinds, newest first", async () => {
        const details = async (limit: number) =>
          (await store.events.newestBetween(["crm-ok", "crm-error"], T0, T0 + 100, limit)).map((e) => e.detail);
        expect(await details(10)).toEqual(["crm-ok@99", "crm-ok@30", "crm-error@20", "crm-ok@10"]);
        expect(await details(2)).toEqual(["crm-ok@99", "crm-ok@30"]);
        expect(await store.events.newestBetween([], T0, T0 + 100, 10)).toEqual([]);
      });
    });
  });

  describe("roles, updates, conversations, counters", () => {
    it("adds, lists and removes agents", async () => {
      const store = await openStore();
      expect(await store.roles.listAgents()).toEqual([]);
      expect(await store.roles.addAgent(10, 1, T0)).toBe(true);
      expect(await store.roles.addAgent(20, 1, T0 + 1)).toBe(true);
      expect(await store.roles.addAgent(10, 2, T0 + 2)).toBe(false);
      expect(await store.roles.listAgents()).toEqual([10, 20]);
      expect(await store.roles.removeAgent(10)).toBe(true);
      expect(await store.roles.removeAgent(10)).toBe(false);
      expect(await store.roles.listAgents()).toEqual([20]);
    });

    it("remembers an update id as handled once", async () => {
      const store = await openStore();
      expect(await store.updates.wasHandled(1)).toBe(false);
      expect(await store.updates.markHandled(1, T0)).toBe(true);
      expect(await store.updates.wasHandled(1)).toBe(true);
      expect(await store.updates.markHandled(1, T0 + 1)).toBe(false);
      expect(await store.updates.markHandled(2, T0 + 1)).toBe(true);
      // Across connections too (another replica, or two instances during a deploy).
      expect(await (await openStore()).updates.markHandled(2, T0 + 2)).toBe(false);
    });

    it("remembers an expired update id until a purge, however many come after it", async () => {
      const store = await openStore({ updateKeepMs: 1000 });
      await store.updates.markHandled(1, T0);
      await Promise.all(Array.from({ length: 1500 }, (_, i) => store.updates.markHandled(100 + i, T0 + 5000)));
      // Only Store.purge deletes ids (see "purge" below), so there is one place that decides how long they stay.
      expect(await store.updates.wasHandled(1)).toBe(true);
      expect(await store.purge(T0)).toMatchObject({ updates: 1501 });
      expect(await store.updates.wasHandled(1)).toBe(false);
    });

    it("remembers the update that changed a conversation as handled, in the same write", async () => {
      const store = await openStore();
      await store.conversations.write("chat:1", { step: 2 }, 501);
      await store.conversations.delete("chat:2", 502);
      await store.conversations.write("chat:3", { step: 1 });
      expect(await store.updates.wasHandled(501)).toBe(true);
      expect(await store.updates.wasHandled(502)).toBe(true);
      expect(await store.conversations.read("chat:1")).toEqual({ step: 2 });
      // Marking it afterwards (the bot always does) is a no-op, not an error.
      expect(await store.updates.markHandled(501, Date.now())).toBe(false);
    });

    it("round-trips conversation state exactly", async () => {
      const store = await openStore();
      const value = {
        version: [1, "a1b2"],
        state: [{ kind: "wait", args: { text: "Привет 👋", n: 0.1, neg: -5, big: 2 ** 53 - 1, ok: true, none: null }, list: [] }],
        nested: { z: 1, a: { b: { c: [1, [2, [3]]] } } },
      };
      expect(await store.conversations.read("chat:1")).toBeUndefined();
      await store.conversations.write("chat:1", value);
      const back = await store.conversations.read("chat:1");
      expect(back).toEqual(value);
      expect(JSON.stringify(back)).toBe(JSON.stringify(value)); // key order too
      await store.conversations.write("chat:1", "replaced");
      expect(await store.conversations.read("chat:1")).toBe("replaced");
      await store.conversations.write("chat:2", null);
      expect(await store.conversations.read("chat:2")).toBeNull();
      await store.conversations.write("chat:3", 0);
      expect(await store.conversations.read("chat:3")).toBe(0);
      await store.conversations.write("chat:3", undefined);
      expect(await store.conversations.read("chat:3")).toBeUndefined();
      await store.conversations.write("chat:4", 4);
      // JSON text made beforehand (the conversation storage measures it) is stored as it is, not as a string.
      await store.conversations.write("chat:5", new JsonText(JSON.stringify(value)));
      expect(await store.conversations.read("chat:5")).toEqual(value);
      await store.conversations.delete("chat:1");
      expect(await store.conversations.read("chat:1")).toBeUndefined();
      await store.conversations.delete("missing");

      // Survives a reopen.
      await store.close();
      expect(await (await openStore()).conversations.read("chat:4")).toBe(4);
    });

    it("counts hits in fixed windows that every replica shares", async () => {
      const a = await openStore();
      const b = await openStore();
      expect(await a.counters.hit("user:1", 1_000, T0)).toBe(1);
      expect(await b.counters.hit("user:1", 1_000, T0 + 500)).toBe(2);
      expect(await a.counters.hit("user:2", 1_000, T0 + 500)).toBe(1);
      expect(await a.counters.hit("user:1", 1_000, T0 + 999)).toBe(3);
      // The window opened at T0 ends at T0 + 1000; the next hit opens a new one.
      expect(await b.counters.hit("user:1", 1_000, T0 + 1_000)).toBe(1);
      expect(await a.counters.hit("user:1", 1_000, T0 + 1_999)).toBe(2);
      expect(await a.counters.hit("user:1", 1_000, T0 + 2_000)).toBe(1);

      const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).counters.hit("burst", 60_000, T0)));
      expect([...racing].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });
  });

  describe("coordination", () => {
    it("grants a leadership once until it is released, and ends it at close", async () => {
      const store = await openStore();
      const first = await store.coordination.tryLeadership("polling");
      expect(first?.isHeld()).toBe(true);
      expect(await store.coordination.tryLeadership("polling")).toBeUndefined();
      const other = await store.coordination.tryLeadership("another");
      expect(other?.isHeld()).toBe(true);

      await first?.release();
      await first?.lost;
      expect(first?.isHeld()).toBe(false);
      const second = await store.coordination.tryLeadership("polling");
      expect(second?.isHeld()).toBe(true);

      await store.close();
      await Promise.all([second?.lost, other?.lost]);
      expect(second?.isHeld()).toBe(false);
      expect(other?.isHeld()).toBe(false);
    });

    it("runs one caller per chat at a time, in arrival order, and chats side by side", async () => {
      const store = await openStore();
      const order: string[] = [];
      const firstInside = gate();
      const releaseFirst = gate();
      const first = store.coordination.withChatLock(1, async () => {
        order.push("first in");
        firstInside.open();
        await releaseFirst.promise;
        order.push("first out");
        return "first";
      });
      await firstInside.promise;
      const second = store.coordination.withChatLock(1, async () => {
        order.push("second");
        return "second";
      });
      // Another chat is not held up by chat 1.
      expect(await store.coordination.withChatLock(2, async () => "other chat")).toBe("other chat");
      expect(order).toEqual(["first in"]);
      releaseFirst.open();
      expect(await Promise.all([first, second])).toEqual(["first", "second"]);
      expect(order).toEqual(["first in", "first out", "second"]);
    });

    it("frees a chat's lock when the caller fails", async () => {
      const store = await openStore();
      await expect(store.coordination.withChatLock(1, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
      expect(await store.coordination.withChatLock(1, async () => "after")).toBe("after");
    });
  });

  describe("purge", () => {
    it("deletes old events, update ids and final leads, and keeps pending and recent ones", async () => {
      const store = await openStore({ updateKeepMs: 1000 });
      const old = T0;
      const cut = T0 + 10 * HOUR;
      const recent = T0 + 20 * HOUR;

      await store.events.record({ at: old, kind: "received", actor: "customer" });
      await store.events.record({ at: old + 1, kind: "delivered", actor: "system" });
      await store.events.record({ at: recent, kind: "received", actor: "customer" });
      // Update ids go by the keep time (1 s here) and the clock, not by `cut`.
      await store.updates.markHandled(1, Date.now() - 5000);
      await store.updates.markHandled(2, Date.now());

      const ids: Record<string, number> = {};
      for (const [name, phone] of [
        ["delivered", "1"],
        ["failed", "2"],
        ["rejected", "3"],
        ["pending", "4"],
        ["retried", "5"],
        ["touched", "6"],
        ["fresh", "7"],
      ] as const) {
        ids[name] = (await store.leads.insertUnlessDuplicate(lead(`7900000000${phone}`), HOUR, name === "fresh" ? recent : old)).lead.id;
      }
      await store.leads.markDelivered(ids.delivered!, 1, old + 1);
      await store.leads.markFinal(ids.failed!, "failed", "transient", old + 1);
      await store.leads.markFinal(ids.rejected!, "rejected", "rejected", old + 1);
      await store.leads.markRetry(ids.retried!, "transient", recent, old + 1); // still pending
      await store.leads.markFinal(ids.touched!, "failed", "transient", recent); // final, but recently changed
      await store.leads.markDelivered(ids.fresh!, 2, recent);
      await store.conversations.write("chat:1", { step: 1 });

      expect(await store.purge(cut)).toEqual({ events: 2, leads: 3, updates: 1 });
      for (const name of ["delivered", "failed", "rejected"]) expect(await store.leads.get(ids[name]!)).toBeUndefined();
      for (const name of ["pending", "retried", "touched", "fresh"]) expect(await store.leads.get(ids[name]!)).toBeDefined();
      expect((await store.events.recent(10, 0)).map((e) => e.at)).toEqual([recent]);
      expect(await store.updates.markHandled(2, Date.now())).toBe(false);
      expect(await store.updates.markHandled(1, Date.now())).toBe(true);
      expect(await store.conversations.read("chat:1")).toEqual({ step: 1 }); // written just now

      expect(await store.purge(cut)).toEqual({ events: 0, leads: 0, updates: 0 });
      // Ids are not reused after a purge: the journal may still refer to deleted leads.
      const next = (await store.leads.insertUnlessDuplicate(lead("79000000099"), HOUR, recent)).lead.id;
      expect(next).toBeGreaterThan(Math.max(...Object.values(ids)));
    });

    it("deletes update ids older than updateKeepMs even when the retention is longer", async () => {
      const store = await openStore({ updateKeepMs: 1000 });
      const now = Date.now();
      await store.updates.markHandled(1, now - 5000);
      await store.updates.markHandled(2, now);
      // RETENTION_DAYS=90: nothing else is old enough, the expired update id goes all the same.
      expect(await store.purge(now - 90 * 24 * HOUR)).toEqual({ events: 0, leads: 0, updates: 1 });
      expect(await store.updates.wasHandled(1)).toBe(false);
      expect(await store.updates.wasHandled(2)).toBe(true);
    });

    it("never deletes update ids younger than updateKeepMs", async () => {
      const store = await openStore(); // 48 h
      const now = Date.now();
      await store.updates.markHandled(1, now - HOUR);
      expect((await store.purge(now)).updates).toBe(0);
      expect(await store.updates.markHandled(1, now)).toBe(false);
    });
  });
}

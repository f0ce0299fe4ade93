/** The daily lead cap on a real SQLite store: what counts, for whom, and over which 24 hours. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLeadCap } from "../../src/leads/daily-cap.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { NewLead, Store } from "../../src/store/types.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 10, 12);
let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lead-cap-"));
  store = openSqliteStore({ dataDir: dir });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const lead = (userId: number, phone: string, extra: Partial<NewLead> = {}): NewLead => ({
  chatId: userId,
  userId,
  firstName: "Анна",
  phone,
  source: "direct",
  actor: "customer",
  locale: "ru",
  ...extra,
});
const insert = (l: NewLead, at: number) => store.leads.insertUnlessDuplicate(l, 0, at);

describe("countByUserSince", () => {
  it("counts a customer's own leads since the time given, not corrected field errors or agent leads", async () => {
    await insert(lead(1, "79776200001"), T0 - 25 * HOUR);
    await insert(lead(1, "79776200002"), T0 - 2 * HOUR);
    const refusedName = await insert(lead(1, "79776200003"), T0 - HOUR);
    await store.leads.markFinal(refusedName.lead.id, "rejected", "field-firstName", T0 - HOUR);
    const refusedByCrm = await insert(lead(1, "79776200004"), T0 - HOUR);
    await store.leads.markFinal(refusedByCrm.lead.id, "rejected", "rejected", T0 - HOUR);
    await insert(lead(1, "79776200005", { actor: "agent", agentId: 1 }), T0 - HOUR);
    await insert(lead(2, "79776200006"), T0 - HOUR);

    expect(await store.leads.countByUserSince(1, T0 - 24 * HOUR)).toBe(2);
    expect(await store.leads.countByUserSince(1, T0 - 30 * HOUR)).toBe(3);
    expect(await store.leads.countByUserSince(2, T0 - 24 * HOUR)).toBe(1);
    expect(await store.leads.countByUserSince(3, T0 - 24 * HOUR)).toBe(0);
  });
});

describe("the lead cap", () => {
  it("turns a customer away at the limit within 24 hours; agents and admins never", async () => {
    let now = T0;
    let reachedCount = 0;
    const cap = createLeadCap({
      leads: store.leads,
      answers: store.conversations,
      perDay: 2,
      now: () => now,
      onReached: () => reachedCount++,
    });
    await insert(lead(1, "79776200011"), T0 - 23 * HOUR);
    expect(await cap.reached(1, "customer")).toBe(false);
    await insert(lead(1, "79776200012"), T0 - HOUR);
    expect(await cap.reached(1, "customer")).toBe(true);
    expect(reachedCount).toBe(1);
    // An hour later the first lead is more than a day old.
    now = T0 + 1.5 * HOUR;
    expect(await cap.reached(1, "customer")).toBe(false);

    // Staff trying the customer flow make customer leads, and are not limited.
    for (const [staff, role] of [
      [8, "agent"],
      [9, "admin"],
    ] as const) {
      await insert(lead(staff, `7977620002${staff}`), now);
      await insert(lead(staff, `7977620003${staff}`), now);
      expect(await cap.reached(staff, "customer")).toBe(true);
      expect(await cap.reached(staff, role)).toBe(false);
    }
  });
});

describe("answers about other people's leads", () => {
  it("count like leads of the customer for 24 hours, survive a reopen, and never count for staff", async () => {
    let now = T0;
    const capOn = (s: Store) => createLeadCap({ leads: s.leads, answers: s.conversations, perDay: 3, now: () => now });
    const cap = capOn(store);
    await insert(lead(1, "79776200041"), T0 - HOUR);
    await cap.countAnswer(1, "customer");
    expect(await cap.reached(1, "customer")).toBe(false);
    now = T0 + HOUR;
    await cap.countAnswer(1, "customer");
    expect(await cap.reached(1, "customer")).toBe(true);
    // Another customer is not touched, and staff are never counted.
    expect(await cap.reached(2, "customer")).toBe(false);
    for (let i = 0; i < 5; i++) await cap.countAnswer(8, "agent");
    expect(await cap.reached(8, "customer")).toBe(false);

    // Kept in the database: the same after the store is opened again.
    await store.close();
    store = openSqliteStore({ dataDir: dir });
    expect(await capOn(store).reached(1, "customer")).toBe(true);
    // A day after the first answer it no longer counts (the lead and the second answer still do).
    now = T0 + 24 * HOUR + 1;
    expect(await capOn(store).reached(1, "customer")).toBe(false);
    // What is kept stays a few numbers, however many answers.
    for (let i = 0; i < 50; i++) await capOn(store).countAnswer(1, "customer");
    expect(await store.conversations.read("lead-cap:1")).toHaveLength(3);
  });
});

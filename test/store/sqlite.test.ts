import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import { openSqliteStore, StoreOpenError } from "../../src/store/sqlite.js";
import type { NewLead, Store } from "../../src/store/types.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHILD = fileURLToPath(new URL("./fixtures/store-child.ts", import.meta.url));
const HOUR = 60 * 60 * 1000;
const T0 = 1_700_000_000_000;

let tmp: string;
const open: Store[] = [];

function openStore(options: Partial<Parameters<typeof openSqliteStore>[0]> = {}): Store {
  const store = openSqliteStore({ dataDir: path.join(tmp, "data"), ...options });
  open.push(store);
  return store;
}

function lead(phone = "79776200777", extra: Partial<NewLead> = {}): NewLead {
  return {
    chatId: 100,
    userId: 200,
    firstName: "Ivan",
    phone,
    source: "customer",
    actor: "customer",
    locale: "ru",
    ...extra,
  };
}

function openError(fn: () => unknown): StoreOpenError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreOpenError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    return error as StoreOpenError;
  }
  throw new Error("expected openSqliteStore to throw");
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "store-test-"));
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("opening", () => {
  it("creates the directory and schema from nothing, with WAL", async () => {
    const dataDir = path.join(tmp, "a", "b", "c");
    const store = openStore({ dataDir });
    expect(await store.leads.countByState()).toEqual({ pending: 0, delivered: 0, duplicate: 0, rejected: 0, failed: 0 });
    await store.close();

    const db = new Database(path.join(dataDir, "bot.sqlite"), { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(["agents", "conversations", "events", "leads", "processed_updates"]));
    db.close();
  });

  it("honours fileName", async () => {
    const store = openStore({ fileName: "other.db" });
    await store.close();
    expect(fs.existsSync(path.join(tmp, "data", "other.db"))).toBe(true);
    expect(fs.existsSync(path.join(tmp, "data", "bot.sqlite"))).toBe(false);
  });

  it("keeps data across a reopen", async () => {
    const first = openStore();
    const { lead: inserted } = await first.leads.insertUnlessDuplicate(lead(), HOUR, T0);
    await first.roles.addAgent(5, 1, T0);
    await first.close();

    const second = openStore();
    expect(await second.leads.get(inserted.id)).toEqual(inserted);
    expect(await second.roles.listAgents()).toEqual([5]);
  });

  it("refuses a file from a newer schema with a readable message", async () => {
    await openStore().close();
    const file = path.join(tmp, "data", "bot.sqlite");
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 3}`);
    db.close();

    const error = openError(() => openSqliteStore({ dataDir: path.join(tmp, "data") }));
    expect(error.message).toContain(file);
    expect(error.message).toContain(
      `written by a newer version of the bot (schema ${SCHEMA_VERSION + 3}, this build knows ${SCHEMA_VERSION})`,
    );
    // Refusing must not have touched the file.
    const after = new Database(file, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION + 3);
    after.close();
  });

  it("refuses a file that is not a database", () => {
    const dataDir = path.join(tmp, "data");
    fs.mkdirSync(dataDir);
    const file = path.join(dataDir, "bot.sqlite");
    fs.writeFileSync(file, crypto.randomBytes(16 * 1024));
    const error = openError(() => openSqliteStore({ dataDir }));
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not a usable SQLite database.*file is not a database/);
  });

  it("refuses a database with a damaged page", async () => {
    const store = openStore();
    for (let i = 0; i < 500; i++) await store.events.record({ kind: "received", actor: "customer", detail: "x".repeat(200) });
    await store.close();
    const file = path.join(tmp, "data", "bot.sqlite");
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBeGreaterThan(4096 * 8);
    for (let i = 4096 * 5; i < 4096 * 6; i++) bytes[i] = (i * 7) & 0xff;
    fs.writeFileSync(file, bytes);

    const error = openError(() => openSqliteStore({ dataDir: path.join(tmp, "data") }));
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/damaged|not a usable/);
  });

  it("refuses a data directory it cannot create (a path inside a regular file)", () => {
    const plainFile = path.join(tmp, "plain");
    fs.writeFileSync(plainFile, "not a directory");
    const dataDir = path.join(plainFile, "data");
    const error = openError(() => openSqliteStore({ dataDir }));
    expect(error.message).toContain(dataDir);
    expect(error.message).toContain("needs write access");
  });

  it("refuses a data directory that is a regular file", () => {
    const dataDir = path.join(tmp, "plain");
    fs.writeFileSync(dataDir, "not a directory");
    const error = openError(() => openSqliteStore({ dataDir }));
    expect(error.message).toContain(dataDir);
    expect(error.message).toContain("not a directory");
  });

  it("refuses a database path that is a directory", () => {
    const dataDir = path.join(tmp, "data");
    fs.mkdirSync(path.join(dataDir, "bot.sqlite"), { recursive: true });
    const error = openError(() => openSqliteStore({ dataDir }));
    expect(error.message).toContain(path.join(dataDir, "bot.sqlite"));
    expect(error.message).toContain("needs write access");
  });

  // chmod does not stop root, so this one only means something for an ordinary user.
  it.skipIf(process.getuid?.() === 0)("refuses a read-only directory and a read-only file", async () => {
    const roDir = path.join(tmp, "ro-dir");
    fs.mkdirSync(roDir);
    fs.chmodSync(roDir, 0o555);
    try {
      const error = openError(() => openSqliteStore({ dataDir: roDir }));
      expect(error.message).toContain(roDir);
      expect(error.message).toContain("needs write access");
    } finally {
      fs.chmodSync(roDir, 0o755);
    }

    const dataDir = path.join(tmp, "ro-file");
    await openSqliteStore({ dataDir }).close();
    const file = path.join(dataDir, "bot.sqlite");
    fs.chmodSync(file, 0o444);
    const error = openError(() => openSqliteStore({ dataDir }));
    expect(error.message).toContain(file);
    expect(error.message).toContain("needs write access");
  });

  // Whoever runs the tests (root passes chmod): the refusal as the kernel gives it to an ordinary user.
  it("issue 12.A: refuses a data directory whose write check says EACCES, in one line", () => {
    const dataDir = path.join(tmp, "denied");
    fs.mkdirSync(dataDir);
    const accessSync = fs.accessSync;
    const denied = vi.spyOn(fs, "accessSync").mockImplementation((target, mode) => {
      if (target === dataDir && mode === fs.constants.W_OK) {
        throw Object.assign(new Error(`EACCES: permission denied, access '${dataDir}'`), { code: "EACCES" });
      }
      accessSync(target, mode);
    });
    try {
      const error = openError(() => openSqliteStore({ dataDir }));
      expect(error.message).toBe(
        `Cannot write to ${dataDir} (EACCES: permission denied, access '${dataDir}'); ` +
          "the bot needs write access to the data directory and the database file in it.",
      );
    } finally {
      denied.mockRestore();
    }
  });

  it("close is idempotent", async () => {
    const store = openSqliteStore({ dataDir: path.join(tmp, "data") });
    await store.close();
    await store.close();
  });
});

describe("leads", () => {
  it("inserts a pending lead with every field", async () => {
    const store = openStore();
    const full = lead("79001234567", { lastName: "Petrov", agentId: 42, actor: "agent", source: "agent:42", consentAt: T0 - 5, locale: "en" });
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

  it("treats the same phone within the window as a duplicate, and outside it as new", async () => {
    const store = openStore();
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
  });

  it("does not count rejected or failed leads as duplicates, but does count delivered ones", async () => {
    const store = openStore();
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

  it("counts a lead stamped later than `now` (another process's clock) as a duplicate", async () => {
    const store = openStore();
    await store.leads.insertUnlessDuplicate(lead(), HOUR, T0 + 50);
    expect((await store.leads.insertUnlessDuplicate(lead(), HOUR, T0)).duplicate).toBe(true);
  });

  it("gives one insert to two connections racing on the same file", async () => {
    const a = openStore();
    const b = openStore();
    const results = await Promise.all([
      a.leads.insertUnlessDuplicate(lead(), HOUR, T0),
      b.leads.insertUnlessDuplicate(lead(), HOUR, T0),
      a.leads.insertUnlessDuplicate(lead(), HOUR, T0 + 1),
      b.leads.insertUnlessDuplicate(lead(), HOUR, T0 + 1),
    ]);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.lead.id)).size).toBe(1);
    expect((await b.leads.countByState()).pending).toBe(1);
  });

  it("gives one insert per phone to two processes racing on the same file", async () => {
    const dataDir = path.join(tmp, "data");
    const rounds = 150;
    // Both open (and migrate) the new file at the same time too.
    const children = [spawnChild(["race", dataDir, String(rounds)]), spawnChild(["race", dataDir, String(rounds)])];
    for (const child of children) expect(await child.nextLine()).toBe("ready");
    for (let i = 0; i < rounds; i++) {
      const phone = `7900${String(i).padStart(7, "0")}`;
      for (const child of children) child.process.stdin.write(`${phone}\n`);
      const answers = await Promise.all(children.map((child) => child.nextLine()));
      const ids = answers.map((answer) => answer.split(" ")[1]);
      expect(answers.filter((answer) => answer.startsWith("new ")), `phone ${phone}: ${answers.join(", ")}`).toHaveLength(1);
      expect(ids[0]).toBe(ids[1]);
    }
    const exits = await Promise.all(children.map((child) => child.exited));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);

    const store = openStore({ dataDir });
    expect((await store.leads.countByState()).pending).toBe(rounds);
  }, 60_000);

  it("lists due pending leads oldest first, up to the limit", async () => {
    const store = openStore();
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
    const store = openStore();
    const id = (await store.leads.insertUnlessDuplicate(lead(), HOUR, T0)).lead.id;

    await store.leads.markRetry(id, "transient", T0 + 60_000, T0 + 1);
    expect(await store.leads.get(id)).toMatchObject({ state: "pending", attempts: 1, lastError: "transient", nextAttemptAt: T0 + 60_000, updatedAt: T0 + 1 });

    await store.leads.markFinal(id, "failed", "auth", T0 + 2);
    expect(await store.leads.get(id)).toMatchObject({ state: "failed", attempts: 2, lastError: "auth", updatedAt: T0 + 2 });

    // Retry and final only apply to pending leads: a late call cannot resurrect a failed one.
    await store.leads.markRetry(id, "transient", T0 + 5, T0 + 3);
    await store.leads.markFinal(id, "rejected", "rejected", T0 + 3);
    expect(await store.leads.get(id)).toMatchObject({ state: "failed", attempts: 2, lastError: "auth" });

    await store.leads.markNotified(id);
    expect((await store.leads.get(id))?.notified).toBe(true);

    expect(await store.leads.requeue(id, T0 + 4)).toBe(true);
    expect(await store.leads.get(id)).toMatchObject({ state: "pending", attempts: 2, nextAttemptAt: T0 + 4, requeuedAt: T0 + 4, updatedAt: T0 + 4, notified: false });
    expect(await store.leads.requeue(id, T0 + 5)).toBe(false); // pending cannot be requeued

    await store.leads.markDelivered(id, 777, T0 + 6);
    expect(await store.leads.get(id)).toMatchObject({ state: "delivered", brainysoftId: 777, attempts: 3, lastError: undefined, requeuedAt: T0 + 4, updatedAt: T0 + 6 });
    expect(await store.leads.requeue(id, T0 + 7)).toBe(false); // delivered cannot be requeued

    const rejected = (await store.leads.insertUnlessDuplicate(lead("79000000001"), HOUR, T0)).lead.id;
    await store.leads.markFinal(rejected, "rejected", "field-mobilePhone", T0 + 1);
    expect(await store.leads.get(rejected)).toMatchObject({ state: "rejected", lastError: "field-mobilePhone", attempts: 1 });
    expect(await store.leads.requeue(rejected, T0 + 2)).toBe(true);
    expect(await store.leads.requeue(9999, T0 + 2)).toBe(false);
  });

  it("lists by state, created-between and counts", async () => {
    const store = openStore();
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
});

describe("events", () => {
  it("returns recent events newest first, with filters and offset paging", async () => {
    const store = openStore();
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

  it("stamps events with the current time when `at` is omitted", async () => {
    const store = openStore();
    const before = Date.now();
    await store.events.record({ kind: "error", actor: "system" });
    const [event] = await store.events.recent(1, 0);
    expect(event?.at).toBeGreaterThanOrEqual(before);
    expect(event?.at).toBeLessThanOrEqual(Date.now());
  });
});

describe("roles, updates, conversations", () => {
  it("adds, lists and removes agents", async () => {
    const store = openStore();
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
    const store = openStore();
    expect(await store.updates.wasHandled(1)).toBe(false);
    expect(await store.updates.markHandled(1, T0)).toBe(true);
    expect(await store.updates.wasHandled(1)).toBe(true);
    expect(await store.updates.markHandled(1, T0 + 1)).toBe(false);
    expect(await store.updates.markHandled(2, T0 + 1)).toBe(true);
    // Across connections too (two instances during a deploy).
    expect(await openStore().updates.markHandled(2, T0 + 2)).toBe(false);
  });

  it("remembers an expired update id until a purge, however many come after it", async () => {
    const store = openStore({ updateKeepMs: 1000 });
    await store.updates.markHandled(1, T0);
    for (let i = 0; i < 1500; i++) await store.updates.markHandled(100 + i, T0 + 5000);
    // Only Store.purge deletes ids (see "purge" below), so there is one place that decides how long they stay.
    expect(await store.updates.wasHandled(1)).toBe(true);
    expect(await store.purge(T0)).toMatchObject({ updates: 1501 });
    expect(await store.updates.wasHandled(1)).toBe(false);
  });

  it("round-trips conversation state exactly", async () => {
    const store = openStore();
    const value = {
      version: [1, "a1b2"],
      state: [{ kind: "wait", args: { text: "Привет 👋", n: 0.1, neg: -5, big: 2 ** 53 - 1, ok: true, none: null }, list: [] }],
      nested: { a: { b: { c: [1, [2, [3]]] } } },
    };
    expect(await store.conversations.read("chat:1")).toBeUndefined();
    await store.conversations.write("chat:1", value);
    expect(await store.conversations.read("chat:1")).toEqual(value);
    await store.conversations.write("chat:1", "replaced");
    expect(await store.conversations.read("chat:1")).toBe("replaced");
    await store.conversations.write("chat:2", null);
    expect(await store.conversations.read("chat:2")).toBeNull();
    await store.conversations.write("chat:3", 0);
    expect(await store.conversations.read("chat:3")).toBe(0);
    await store.conversations.delete("chat:1");
    expect(await store.conversations.read("chat:1")).toBeUndefined();
    await store.conversations.delete("missing");

    // Survives a reopen.
    await store.close();
    expect(await openStore().conversations.read("chat:3")).toBe(0);
  });
});

describe("purge", () => {
  it("deletes old events, update ids and final leads, and keeps pending and recent ones", async () => {
    const store = openStore({ updateKeepMs: 1000 });
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
    for (const [name, phone] of [["delivered", "1"], ["failed", "2"], ["rejected", "3"], ["pending", "4"], ["retried", "5"], ["touched", "6"], ["fresh", "7"]] as const) {
      ids[name] = (await store.leads.insertUnlessDuplicate(lead(`7900000000${phone}`), HOUR, name === "fresh" ? recent : old)).lead.id;
    }
    await store.leads.markDelivered(ids.delivered!, 1, old + 1);
    await store.leads.markFinal(ids.failed!, "failed", "transient", old + 1);
    await store.leads.markFinal(ids.rejected!, "rejected", "rejected", old + 1);
    await store.leads.markRetry(ids.retried!, "transient", recent, old + 1); // still pending
    await store.leads.markFinal(ids.touched!, "failed", "transient", recent); // final, but recently changed
    await store.leads.markDelivered(ids.fresh!, 2, recent);

    expect(await store.purge(cut)).toEqual({ events: 2, leads: 3, updates: 1 });
    for (const name of ["delivered", "failed", "rejected"]) expect(await store.leads.get(ids[name]!)).toBeUndefined();
    for (const name of ["pending", "retried", "touched", "fresh"]) expect(await store.leads.get(ids[name]!)).toBeDefined();
    expect((await store.events.recent(10, 0)).map((e) => e.at)).toEqual([recent]);
    expect(await store.updates.markHandled(2, Date.now())).toBe(false);
    expect(await store.updates.markHandled(1, Date.now())).toBe(true);

    expect(await store.purge(cut)).toEqual({ events: 0, leads: 0, updates: 0 });
    // Ids are not reused after a purge: the journal may still refer to deleted leads.
    const next = (await store.leads.insertUnlessDuplicate(lead("79000000099"), HOUR, recent)).lead.id;
    expect(next).toBeGreaterThan(Math.max(...Object.values(ids)));
  });

  it("deletes update ids older than updateKeepMs even when the retention is longer", async () => {
    const store = openStore({ updateKeepMs: 1000 });
    const now = Date.now();
    await store.updates.markHandled(1, now - 5000);
    await store.updates.markHandled(2, now);
    // RETENTION_DAYS=90: nothing else is old enough, the expired update id goes all the same.
    expect(await store.purge(now - 90 * 24 * HOUR)).toEqual({ events: 0, leads: 0, updates: 1 });
    expect(await store.updates.wasHandled(1)).toBe(false);
    expect(await store.updates.wasHandled(2)).toBe(true);
  });

  it("never deletes update ids younger than updateKeepMs", async () => {
    const store = openStore(); // 48 h
    const now = Date.now();
    await store.updates.markHandled(1, now - HOUR);
    expect((await store.purge(now)).updates).toBe(0);
    expect(await store.updates.markHandled(1, now)).toBe(false);
  });
});

describe("durability", () => {
  it("keeps a lead whose process is SIGKILLed right after the insert resolved", async () => {
    const dataDir = path.join(tmp, "data");
    const child = spawnChild(["insert-and-hang", dataDir, "79990001122"]);
    const line = await child.nextLine();
    expect(line).toMatch(/^inserted \d+$/);
    child.process.kill("SIGKILL");
    const { signal } = await child.exited;
    expect(signal).toBe("SIGKILL");

    const store = openStore({ dataDir });
    const found = await store.leads.get(Number(line.split(" ")[1]));
    expect(found).toMatchObject({ phone: "79990001122", state: "pending", firstName: "Child" });
  }, 30_000);
});

interface Child {
  process: ChildProcessWithoutNullStreams;
  nextLine(): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs test/store/fixtures/store-child.ts in its own Node process, as a second bot instance would. */
function spawnChild(args: string[]): Child {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { cwd: ROOT, stdio: "pipe" });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    process: child,
    exited,
    nextLine: async () => {
      const next = await lines.next(); // done once the child's stdout closes
      if (next.done) throw new Error(`child ${args.join(" ")} ended without output: ${stderr}`);
      return next.value;
    },
  };
}

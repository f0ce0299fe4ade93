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

  it("upgrades a file from before the replica primitives, keeping its leads and leasing them", async () => {
    const dataDir = path.join(tmp, "data");
    const first = openStore({ dataDir });
    const { lead: old } = await first.leads.insertUnlessDuplicate(lead(), HOUR, T0);
    await first.close();
    // Back to schema 2 as an older build left it: no lease columns, counters or call numbers.
    const db = new Database(path.join(dataDir, "bot.sqlite"));
    db.exec(`ALTER TABLE leads DROP COLUMN lease_owner; ALTER TABLE leads DROP COLUMN lease_until;
             ALTER TABLE leads DROP COLUMN lease_attempt; DROP TABLE window_counters;
             ALTER TABLE events DROP COLUMN latency_ms; ALTER TABLE events DROP COLUMN http_status;`);
    db.pragma("user_version = 2");
    db.close();

    const store = openStore({ dataDir });
    expect(await store.leads.get(old.id)).toEqual(old);
    expect((await store.leads.leaseDue(T0, 10, HOUR, "a")).map((l) => l.id)).toEqual([old.id]);
    expect(await store.counters.hit("k", 1_000, T0)).toBe(1);
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

describe("several processes on one file", () => {
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
      expect(
        answers.filter((answer) => answer.startsWith("new ")),
        `phone ${phone}: ${answers.join(", ")}`,
      ).toHaveLength(1);
      expect(ids[0]).toBe(ids[1]);
    }
    const exits = await Promise.all(children.map((child) => child.exited));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);

    const store = openStore({ dataDir });
    expect((await store.leads.countByState()).pending).toBe(rounds);
  }, 60_000);
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

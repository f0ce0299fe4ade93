import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GroupCommit, sqliteGroupCommit } from "../../src/store/sqlite-group-commit.js";

let dir: string;
let writer: Database.Database;
/** Another connection to the same file: it sees only what has been committed. */
let other: Database.Database;
const rows = () => other.prepare<[], string>("SELECT name FROM t ORDER BY name").pluck().all();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "group-commit-"));
  writer = new Database(join(dir, "db.sqlite"));
  writer.pragma("journal_mode = WAL");
  writer.exec("CREATE TABLE t (name TEXT PRIMARY KEY)");
  other = new Database(join(dir, "db.sqlite"));
});
afterEach(() => {
  writer.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (group: GroupCommit, name: string) => group.write(() => writer.prepare("INSERT INTO t (name) VALUES (?)").run(name).changes);

describe("sqliteGroupCommit", () => {
  it("commits the writes of one turn together, and tells each done only after that commit", async () => {
    const group = sqliteGroupCommit(writer, { busyTimeoutMs: 1_000 });
    let told = 0;
    const tell = (changes: number) => {
      told += 1;
      return changes;
    };
    const writes = ["a", "b"].map((name) => insert(group, name).then(tell));
    // Both ran (this connection sees them), neither is committed nor told done yet.
    expect(writer.prepare("SELECT count(*) FROM t").pluck().get()).toBe(2);
    expect(rows()).toEqual([]);
    await Promise.resolve();
    expect(told).toBe(0);
    expect(await Promise.all(writes)).toEqual([1, 1]);
    expect(rows()).toEqual(["a", "b"]);
  });

  it("fails only the write that failed: its own changes are undone, the others commit", async () => {
    const group = sqliteGroupCommit(writer, { busyTimeoutMs: 1_000 });
    const first = insert(group, "a");
    const broken = group.write(() => {
      writer.prepare("INSERT INTO t (name) VALUES ('half')").run();
      throw new Error("a bug after its first statement");
    });
    const duplicate = insert(group, "a");
    const last = insert(group, "c");
    await expect(broken).rejects.toThrow("a bug after its first statement");
    await expect(duplicate).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    expect(await Promise.all([first, last])).toEqual([1, 1]);
    expect(rows()).toEqual(["a", "c"]);
  });

  it("waits for another connection's write lock without blocking the event loop, then commits in order", async () => {
    const group = sqliteGroupCommit(writer, { busyTimeoutMs: 60_000, busyRetryMs: 1 });
    other.exec("BEGIN IMMEDIATE");
    let settled = false;
    const writes = Promise.all([insert(group, "a"), insert(group, "b")]).finally(() => (settled = true));
    for (let turn = 0; turn < 5; turn++) await nextTurn(); // the loop goes on meanwhile
    expect(settled).toBe(false);
    other.exec("COMMIT");
    expect(await writes).toEqual([1, 1]);
    expect(rows()).toEqual(["a", "b"]);
  });

  it("gives up with SQLITE_BUSY once the lock has been held for longer than its busy timeout", async () => {
    const group = sqliteGroupCommit(writer, { busyTimeoutMs: 0 });
    other.exec("BEGIN IMMEDIATE");
    await expect(insert(group, "a")).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    other.exec("COMMIT");
    expect(await insert(group, "b")).toBe(1);
    expect(rows()).toEqual(["b"]);
  });

  it("commits at once on flush (before the connection closes)", async () => {
    const group = sqliteGroupCommit(writer, { busyTimeoutMs: 1_000 });
    const write = insert(group, "a");
    group.flush();
    expect(rows()).toEqual(["a"]);
    expect(await write).toBe(1);
  });
});

/**
 * src/main.ts on a data directory it cannot use: it stops at once with exit code 1 and one readable
 * line on stderr naming the path (no stack trace), and leaves the file as it was for the operator.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import { botProcessEnv, startMainProcess, type MainProcess, type MainProcessOptions } from "../harness/main-process.js";

/** An ordinary user for the read-only case: chmod does not stop root. */
const NOBODY = 65_534;
const runningAsRoot = process.getuid?.() === 0;

let tmp: string;
const processes: MainProcess[] = [];

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "lead-bot-startup-"));
});

afterEach(async () => {
  for (const bot of processes.splice(0)) await bot.dispose();
  chmodSync(tmp, 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Runs main.ts against nothing (port 9 has no server): it must fail on the data directory before it
 * tries the network. Returns what stderr said once the process has ended.
 */
async function refusedStart(dataDir: string, as?: Pick<MainProcessOptions, "uid" | "gid">): Promise<string> {
  const bot = startMainProcess({
    env: botProcessEnv({ telegramApiRoot: "http://127.0.0.1:9", brainysoftUrl: "http://127.0.0.1:9/bs-core", dataDir }),
    ...as,
  });
  processes.push(bot);
  expect(await bot.exited).toEqual({ code: 1, signal: null });
  const stderr = bot.stderr();
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/Error:|node:internal/);
  return stderr.trim();
}

describe("start-up on a data directory the bot cannot use", () => {
  it("refuses a corrupt bot.sqlite and leaves it untouched", async () => {
    const dataDir = join(tmp, "data");
    mkdirSync(dataDir);
    const file = join(dataDir, "bot.sqlite");
    const garbage = randomBytes(16 * 1024);
    writeFileSync(file, garbage);

    const line = await refusedStart(dataDir);
    expect(line).toContain(file);
    expect(line).toMatch(/not a usable SQLite database/);
    expect(line).toMatch(/restore it from a backup/);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  }, 60_000);

  it("refuses a DATA_DIR that points inside a regular file", async () => {
    const plainFile = join(tmp, "plain");
    writeFileSync(plainFile, "not a directory");
    const dataDir = join(plainFile, "data");

    const line = await refusedStart(dataDir);
    expect(line).toContain(dataDir);
    expect(line).toMatch(/needs write access/);
  }, 60_000);

  it("refuses a database written by a newer version of the bot", async () => {
    const dataDir = join(tmp, "data");
    mkdirSync(dataDir);
    const file = join(dataDir, "bot.sqlite");
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    const line = await refusedStart(dataDir);
    expect(line).toContain(file);
    expect(line).toContain(`written by a newer version of the bot (schema ${SCHEMA_VERSION + 1}`);
  }, 60_000);

  it("refuses a read-only data directory", async () => {
    const dataDir = join(tmp, "data");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o555);
    // The bot's own user must be able to reach the directory, just not write to it.
    chmodSync(tmp, 0o755);

    const line = await refusedStart(dataDir, runningAsRoot ? { uid: NOBODY, gid: NOBODY } : {});
    expect(line).toContain(dataDir);
    expect(line).toMatch(/needs write access/);
  }, 60_000);
});

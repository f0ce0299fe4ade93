/**
 * src/main.ts on a data directory it cannot use: it stops at once with exit code 1 and one readable
 * line on stderr naming the path (no stack trace), and leaves the file as it was for the operator.
 *
 * These run wherever the checkout is (under /root, in a mktemp -d directory) and as whoever runs them:
 * the bot runs as the test's own user, never as another one who may not even reach the code.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import { botProcessEnv, startMainProcess, type MainProcess } from "../harness/main-process.js";

const runningAsRoot = process.getuid?.() === 0;
/** Preloaded into the bot: write checks under DENY_WRITES_UNDER fail with EACCES. */
const DENY_WRITES = pathToFileURL(join(import.meta.dirname, "deny-writes.mjs")).href;

let tmp: string;
const processes: MainProcess[] = [];
/** Directories made immutable (chattr +i), to be released before they are removed. */
const immutable: string[] = [];

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "lead-bot-startup-"));
});

afterEach(async () => {
  for (const bot of processes.splice(0)) await bot.dispose();
  for (const dir of immutable.splice(0)) spawnSync("chattr", ["-i", dir]);
  chmodSync(tmp, 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Makes `dir` read-only for this very process: chmod for an ordinary user; root passes chmod, so for
 * root the immutable attribute, which root cannot write through either. Returns why it could not
 * (no chattr, no CAP_LINUX_IMMUTABLE in a container, a file system without attributes).
 */
function makeReadOnly(dir: string): string | undefined {
  chmodSync(dir, 0o555);
  if (!runningAsRoot) return undefined;
  const chattr = spawnSync("chattr", ["+i", dir], { encoding: "utf8" });
  if (chattr.status === 0) {
    immutable.push(dir);
    return undefined;
  }
  return `running as root, where chmod does not stop writes, and chattr +i failed (${(chattr.error?.message ?? chattr.stderr).trim()})`;
}

/**
 * Runs main.ts against nothing (port 9 has no server): it must fail on the data directory before it
 * tries the network. Returns what stderr said once the process has ended.
 */
async function refusedStart(dataDir: string, extraEnv: Record<string, string> = {}): Promise<string> {
  const bot = startMainProcess({
    env: { ...botProcessEnv({ telegramApiRoot: "http://127.0.0.1:9", brainysoftUrl: "http://127.0.0.1:9/bs-core", dataDir }), ...extraEnv },
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

  it("refuses a read-only data directory", async (ctx) => {
    const dataDir = join(tmp, "data");
    mkdirSync(dataDir);
    const cannot = makeReadOnly(dataDir);
    // The next test proves the same line through an EACCES from the store's open, wherever this cannot run.
    ctx.skip(cannot !== undefined, `no read-only directory for this process: ${cannot}`);

    const line = await refusedStart(dataDir);
    expect(line).toContain(dataDir);
    expect(line).toMatch(/needs write access/);
  }, 60_000);

  it("issue 12.A: refuses a data directory whose write check says EACCES, whoever runs the tests", async () => {
    const dataDir = join(tmp, "data");
    mkdirSync(dataDir);

    const line = await refusedStart(dataDir, { NODE_OPTIONS: `--import=${DENY_WRITES}`, DENY_WRITES_UNDER: dataDir });
    expect(line).toBe(
      `Cannot write to ${dataDir} (EACCES: permission denied, access '${dataDir}'); ` +
        "the bot needs write access to the data directory and the database file in it.",
    );
  }, 60_000);
});

/**
 * The bot started as README says (`npm run build`, then `npm start`) and stopped the ways supervisors
 * and people stop it: SIGTERM to the npm process alone (Docker, systemd, process managers), Ctrl-C in a
 * terminal (SIGINT to npm and the bot), and npm killed outright. Each time the lead in flight is
 * delivered once and answered, and no process of the bot is left polling Telegram.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../../src/fakes/fake-telegram.js";
import { botProcessEnv, commandOf, descendantsOf, isRunning, startMainProcess, type MainProcess } from "../harness/main-process.js";
import { startMockBrainysoft, type MockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import { TEST_BOT_TOKEN, TEST_CRM_TOKEN } from "../harness/test-app.js";
import { customer, phoneOf, SEES, upToPhone, WAIT } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const anna = customer(6701);
let telegram: FakeTelegram;
let crm: MockBrainysoft;
let dataDir: string;
let npm: MainProcess | undefined;

beforeAll(async () => {
  // README: `npm run build` before `npm start`. A busy machine takes a while to compile.
  await promisify(execFile)("npm", ["run", "build"], { cwd: ROOT });
}, 240_000);

beforeEach(async () => {
  telegram = await startFakeTelegram({ token: TEST_BOT_TOKEN });
  crm = await startMockBrainysoft({ token: TEST_CRM_TOKEN });
  dataDir = mkdtempSync(join(tmpdir(), "lead-bot-npm-start-"));
});

afterEach(async () => {
  await npm?.dispose();
  npm = undefined;
  await telegram.close();
  await crm.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * `npm start` taking a lead whose Brainysoft call is still going on: returns the processes npm started,
 * which must all be gone once the bot is stopped.
 */
async function leadInFlightUnderNpm(): Promise<{ npm: MainProcess; botProcesses: number[] }> {
  npm = startMainProcess({
    npmStart: true,
    env: botProcessEnv({ telegramApiRoot: telegram.apiRoot, brainysoftUrl: crm.baseUrl, dataDir }, { BRAINYSOFT_TIMEOUT_MS: "5000" }),
  });
  await npm.waitForLog((line) => line.msg === "bot started", 60_000);
  await upToPhone(telegram, anna);
  // Brainysoft takes 1.5 s: the stop comes while the lead is at the CRM.
  crm.setFault("slow", { slowMs: 1_500, times: 1 });
  telegram.sendText(anna, phoneOf(51));
  await expect.poll(() => crm.received.length, { timeout: WAIT }).toBe(1);
  expect(telegram.sent(anna.id).some((m) => SEES.created.test(m.plainText ?? ""))).toBe(false);
  const botProcesses = descendantsOf(npm.pid);
  // The bot itself is among them (whatever shells or loaders stand between npm and it).
  expect(botProcesses.map(commandOf).some((command) => command.includes("main."))).toBe(true);
  return { npm, botProcesses };
}

/** The lead reached Brainysoft once, its number reached the person, and Telegram has nothing left to give. */
function expectLeadDeliveredOnce(): void {
  expect(crm.received).toHaveLength(1);
  expect(crm.created).toHaveLength(1);
  const answers = telegram.sent(anna.id).filter((m) => SEES.created.test(m.plainText ?? ""));
  expect(answers).toHaveLength(1);
  expect(answers[0]?.plainText).toContain(`№ ${crm.created[0]?.id}`);
  expect(telegram.pendingUpdates()).toBe(0);
}

const stillRunning = (pids: number[]) => pids.filter(isRunning).map((pid) => `${pid} ${commandOf(pid)}`);

describe("npm start under a supervisor and in a terminal", () => {
  it("SIGTERM to the npm process alone stops the whole bot gracefully: the lead in flight is delivered once", async () => {
    const { npm, botProcesses } = await leadInFlightUnderNpm();
    process.kill(npm.pid, "SIGTERM");

    const exit = await npm.exited;
    await expect.poll(() => stillRunning(botProcesses), { timeout: 5_000 }).toEqual([]);
    // npm waited for the bot's graceful stop: a supervisor sees the stop end when the bot's ends.
    expect(exit).toEqual({ code: 0, signal: null });
    expectLeadDeliveredOnce();
    expect(npm.logs().some((line) => line.msg === "bot stopped")).toBe(true);
  }, 120_000);

  it("Ctrl-C in a terminal (SIGINT to npm and the bot, and npm passes it on) is one graceful stop, not two", async () => {
    const { npm, botProcesses } = await leadInFlightUnderNpm();
    process.kill(-npm.pid, "SIGINT");

    await npm.exited;
    await expect.poll(() => stillRunning(botProcesses), { timeout: 5_000 }).toEqual([]);
    expectLeadDeliveredOnce();
    expect(npm.logs().some((line) => line.msg === "bot stopped")).toBe(true);
    expect(npm.logs().some((line) => line.msg === "second signal: exiting at once")).toBe(false);
  }, 120_000);

  it("npm killed outright (SIGKILL): the orphaned bot notices and stops gracefully on its own", async () => {
    const { npm, botProcesses } = await leadInFlightUnderNpm();
    process.kill(npm.pid, "SIGKILL");
    await npm.exited;

    // The bot still writes to the pipe npm handed it: its log shows a graceful stop.
    await expect.poll(() => stillRunning(botProcesses), { timeout: 20_000 }).toEqual([]);
    expectLeadDeliveredOnce();
    expect(npm.logs().some((line) => line.msg === "shutting down" && line.reason === "parent process gone")).toBe(true);
    expect(npm.logs().some((line) => line.msg === "bot stopped")).toBe(true);
  }, 120_000);
});

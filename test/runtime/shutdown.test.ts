/**
 * SIGTERM and SIGINT to the real entry point (src/main.ts in its own process), in the middle of a lead:
 * the lead in progress is finished and answered, the process exits 0, and the next process gets
 * none of the updates already handled. A second signal (not the first repeated at once) exits at once,
 * and the lead is still delivered.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../../src/fakes/fake-telegram.js";
import { botProcessEnv, startMainProcess, type MainProcess } from "../harness/main-process.js";
import { startMockBrainysoft, type MockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import { TEST_BOT_TOKEN, TEST_CRM_TOKEN } from "../harness/test-app.js";
import { REPEAT_WINDOW_MS } from "../../src/runtime/stop-signals.js";
import { customer, phoneOf, SEES, upToPhone, WAIT } from "./helpers.js";

const anna = customer(6601);
let telegram: FakeTelegram;
let crm: MockBrainysoft;
let dataDir: string;
const processes: MainProcess[] = [];

beforeEach(async () => {
  telegram = await startFakeTelegram({ token: TEST_BOT_TOKEN });
  crm = await startMockBrainysoft({ token: TEST_CRM_TOKEN });
  dataDir = mkdtempSync(join(tmpdir(), "lead-bot-shutdown-"));
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.dispose()));
  await telegram.close();
  await crm.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startBot(): Promise<MainProcess> {
  const bot = startMainProcess({
    env: botProcessEnv({ telegramApiRoot: telegram.apiRoot, brainysoftUrl: crm.baseUrl, dataDir }, { BRAINYSOFT_TIMEOUT_MS: "5000" }),
  });
  processes.push(bot);
  await bot.waitForLog((line) => line.msg === "bot started", 30_000);
  return bot;
}

const handledUpdates = (bot: MainProcess) =>
  bot
    .logs()
    .filter((l) => l.msg === "update")
    .map((l) => l.update);

describe("graceful shutdown of the bot process", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s mid-lead: the lead is finished and answered, exit 0, nothing handled twice",
    async (signal) => {
      let bot = await startBot();
      await upToPhone(telegram, anna);
      // Brainysoft takes 1.5 s: the signal arrives while the lead is at the CRM.
      crm.setFault("slow", { slowMs: 1_500, times: 1 });
      const phoneUpdate = telegram.sendText(anna, phoneOf(41));
      await expect.poll(() => crm.received.length, { timeout: WAIT }).toBe(1);
      expect(telegram.sent(anna.id).some((m) => SEES.created.test(m.plainText ?? ""))).toBe(false);
      bot.kill(signal);

      expect(await bot.exited).toEqual({ code: 0, signal: null });
      // The answer went out before the process ended.
      const done = telegram.sent(anna.id).at(-1);
      expect(done?.plainText).toMatch(SEES.created);
      expect(done?.plainText).toContain(`№ ${crm.created[0]?.id}`);
      expect(handledUpdates(bot)).toContain(phoneUpdate);
      // Telegram knows every update was handled: nothing waits for the next process.
      expect(telegram.pendingUpdates()).toBe(0);

      bot = await startBot();
      const help = telegram.sendText(anna, "/help");
      await telegram.waitForMessage(anna.id, (m) => SEES.help.test(m.plainText ?? ""), WAIT);
      await expect.poll(() => handledUpdates(bot), { timeout: WAIT }).toEqual([help]);
      expect(bot.logs().filter((l) => l.msg === "repeated update ignored")).toEqual([]);
      expect(crm.received).toHaveLength(1);
      bot.kill("SIGTERM");
      expect(await bot.exited).toEqual({ code: 0, signal: null });
    },
    90_000,
  );

  it("a second signal exits at once; the lead is delivered by the next process", async () => {
    let bot = await startBot();
    await upToPhone(telegram, anna);
    // Brainysoft never answers: a graceful stop would wait for the client's 5 s time limit.
    crm.setFault("hang");
    telegram.sendText(anna, phoneOf(42));
    await expect.poll(() => crm.received.length, { timeout: WAIT }).toBe(1);
    bot.kill("SIGTERM");
    await bot.waitForLog((l) => l.msg === "shutting down");
    // Within REPEAT_WINDOW_MS it would count as the first one delivered twice (npm passes signals on).
    await new Promise((resolve) => setTimeout(resolve, REPEAT_WINDOW_MS));
    bot.kill("SIGTERM");
    expect(await bot.exited).toEqual({ code: 1, signal: null });
    expect(bot.logs().some((l) => l.msg === "bot stopped")).toBe(false);
    expect(bot.logs().some((l) => l.msg === "second signal: exiting at once")).toBe(true);

    crm.setFault("none");
    bot = await startBot();
    const later = await telegram.waitForMessage(anna.id, (m) => /заявка зарегистрирована: № \d+/.test(m.plainText ?? ""), WAIT);
    expect(crm.created).toHaveLength(1);
    expect(later.plainText).toContain(`№ ${crm.created[0]?.id}`);
    expect(crm.created[0]?.body).toEqual({ firstName: "Анна", mobilePhone: phoneOf(42) });
    bot.kill("SIGTERM");
    expect(await bot.exited).toEqual({ code: 0, signal: null });
  }, 90_000);
});

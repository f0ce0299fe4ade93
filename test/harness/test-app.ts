import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createApp, type App, type AppOptions } from "../../src/app.js";
import { loadConfig, secretsOf, type Config } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { startFakeTelegram, type FakeTelegram, type FakeTelegramOptions } from "../../src/fakes/fake-telegram.js";
import { startMockBrainysoft, type MockBrainysoft, type MockBrainysoftOptions } from "../../src/fakes/mock-brainysoft.js";

export const TEST_BOT_TOKEN = "123456789:TEST-token-for-the-fake-bot-api";
export const TEST_CRM_TOKEN = "crm-secret-token-42";

export interface TestApp {
  app: App;
  config: Config;
  telegram: FakeTelegram;
  crm: MockBrainysoft;
  dataDir: string;
  /** Every log line the bot wrote, as text. */
  logText(): string;
  /** A new app on the same data directory and fake servers, as after a restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  crm?: MockBrainysoftOptions;
  outbox?: AppOptions["outbox"];
  alerts?: AppOptions["alerts"];
  runtime?: AppOptions["runtime"];
  /** Options of the fake Bot API server (webhook timings). */
  telegram?: FakeTelegramOptions;
  dataDir?: string;
  /** A decorator around the real store, e.g. one that makes writes fail (test/harness/faulty-store.ts). */
  wrapStore?: AppOptions["wrapStore"];
  storeWrites?: AppOptions["storeWrites"];
}

/** The real bot, polling a fake Bot API server and talking to a mock Brainysoft, on a temporary data directory. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const telegram = await startFakeTelegram({ ...options.telegram, token: TEST_BOT_TOKEN });
  const crm = await startMockBrainysoft(options.crm ?? { token: TEST_CRM_TOKEN });
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "lead-bot-"));
  const config = loadConfig({
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    BRAINYSOFT_URL: crm.baseUrl,
    BRAINYSOFT_TOKEN: options.crm ? undefined : TEST_CRM_TOKEN,
    BRAINYSOFT_TIMEOUT_MS: "2000",
    DATA_DIR: dataDir,
    LOG_LEVEL: "debug",
    // Health and metrics listen on a free port, so that test files can run side by side.
    PORT: "0",
    ...options.env,
  });
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  // As main.ts does: the configured secrets are filtered out of every line.
  const log = createLogger({ level: config.logLevel, destination, secrets: secretsOf(config) });
  const outbox = { baseDelayMs: 200, maxDelayMs: 1_000, pollIntervalMs: 100, ...options.outbox };
  let app = createApp({
    config,
    log,
    outbox,
    alerts: options.alerts,
    runtime: options.runtime,
    wrapStore: options.wrapStore,
    storeWrites: options.storeWrites,
  });
  await app.start();
  return {
    get app() {
      return app;
    },
    config,
    telegram,
    crm,
    dataDir,
    logText: () => lines.join(""),
    async restart() {
      await app.stop();
      app = createApp({
        config,
        log,
        outbox,
        alerts: options.alerts,
        runtime: options.runtime,
        wrapStore: options.wrapStore,
        storeWrites: options.storeWrites,
      });
      await app.start();
    },
    async close() {
      await app.stop();
      await telegram.close();
      await crm.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

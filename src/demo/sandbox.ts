import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { createApp, type App } from "../app.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { startFakeTelegram, type FakeTelegram } from "../fakes/fake-telegram.js";
import { startMockBrainysoft, type MockBrainysoft } from "../fakes/mock-brainysoft.js";
import { createCrmView, type CrmView } from "./crm-view.js";
import { idsOf, PERSONAS } from "./personas.js";
import { startDemoServer } from "./server.js";

export const DEMO_BOT_TOKEN = "123456789:DEMO-token-of-the-local-sandbox";
const DEMO_CRM_TOKEN = "demo-crm-token";

/**
 * Settings a developer may pass to try a change (`PRIVACY_POLICY_URL=https://example.org npm run demo`).
 * Nothing else is taken from the environment: a real BOT_TOKEN or BRAINYSOFT_URL must never reach the sandbox.
 */
const PASSED_THROUGH = [
  "LOG_LEVEL",
  "DEFAULT_LOCALE",
  "DEFAULT_COUNTRY",
  "ALLOWED_COUNTRIES",
  "PRIVACY_POLICY_URL",
  "LEAD_EXTRA_FIELDS",
  "DUPLICATE_WINDOW",
  "LEADS_PER_USER_PER_DAY",
  "LEAD_MAX_AGE",
] as const;

export interface SandboxOptions {
  /** Port of the page; taken when free, else any free port. */
  port: number;
  /** The environment to take PASSED_THROUGH settings from. */
  env?: Record<string, string | undefined>;
  /** Where the bot's log lines go (default stdout). */
  logDestination?: DestinationStream;
}

export interface Sandbox {
  url: string;
  app: App;
  telegram: FakeTelegram;
  crm: MockBrainysoft;
  crmView: CrmView;
  dataDir: string;
  /** Stops the bot, the fake servers and the page, removes the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The real bot (as `npm start` runs it) polling a fake Telegram, with a mock Brainysoft, and the page that plays the people. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const stack: (() => Promise<void> | void)[] = [];
  // Everything started is stopped in reverse order, each step even when an earlier one failed.
  const unwind = async () => {
    let failure: unknown;
    for (const undo of stack.splice(0).reverse()) {
      try {
        await undo();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  };
  try {
    const dataDir = mkdtempSync(join(tmpdir(), "lead-bot-demo-"));
    stack.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const telegram = await startFakeTelegram({ token: DEMO_BOT_TOKEN, botUser: { first_name: "Lead Bot", username: "demo_lead_bot" } });
    stack.push(() => telegram.close());
    const crm = await startMockBrainysoft({ token: DEMO_CRM_TOKEN });
    stack.push(() => crm.close());

    const passed = Object.fromEntries(PASSED_THROUGH.flatMap((name) => (options.env?.[name] ? [[name, options.env[name]]] : [])));
    const config = loadConfig({
      LOG_LEVEL: "warn",
      ...passed,
      BOT_TOKEN: DEMO_BOT_TOKEN,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      BRAINYSOFT_URL: crm.baseUrl,
      BRAINYSOFT_TOKEN: DEMO_CRM_TOKEN,
      // Short, so that "Brainysoft is slow" turns into a queued lead within seconds.
      BRAINYSOFT_TIMEOUT_MS: "3000",
      AGENT_IDS: idsOf("agent"),
      ADMIN_IDS: idsOf("admin"),
      DATA_DIR: dataDir,
      BOT_MODE: "polling",
      // Any free port for the bot's own HTTP server, so a second demo or a running bot is no clash.
      PORT: "0",
    });
    const log = createLogger({ level: config.logLevel, ...(options.logDestination ? { destination: options.logDestination } : {}) });
    // Retries within seconds: recovery after switching an outage off is the thing to see.
    const app = createApp({ config, log, outbox: { baseDelayMs: 1_000, maxDelayMs: 5_000, pollIntervalMs: 500 } });
    // Before start(): a store that opened must be closed even when start() fails.
    stack.push(() => app.stop());
    await app.start();

    const crmView = createCrmView(crm);
    const server = await startDemoServer({ telegram, crm: crmView, store: app.store, personas: PERSONAS }, { port: options.port });
    stack.push(() => server.close());

    let stopping: Promise<void> | undefined;
    return { url: server.url, app, telegram, crm, crmView, dataDir, stop: () => (stopping ??= unwind()) };
  } catch (error) {
    await unwind().catch(() => undefined);
    throw error;
  }
}

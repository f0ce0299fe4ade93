/**
 * Several bot processes (src/main.ts) on one PostgreSQL schema, with the fake Telegram in front of them
 * (in webhook mode spreading updates over them as a load balancer would) and one mock Brainysoft: each
 * replica can be killed and started again on its own port.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeTelegram, startFakeTelegram } from "../../src/fakes/fake-telegram.js";
import { type MockBrainysoft, startMockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import pg from "pg";
import { afterAll, afterEach } from "vitest";
import { quoteIdentifier } from "../../src/store/postgres-migrations.js";
import { botProcessEnv, type MainProcess, startMainProcess } from "../harness/main-process.js";
import { TEST_BOT_TOKEN, TEST_CRM_TOKEN } from "../harness/test-app.js";
import { freePort } from "../runtime/helpers.js";
import { testDatabase } from "../store/postgres-server.js";

/** Generous: each replica compiles TypeScript at start on a shared, busy machine. */
export const WAIT = 60_000;

export interface ClusterOptions {
  replicas: number;
  mode: "webhook" | "polling";
  databaseUrl: string;
  schema: string;
  /** Webhook mode: the share of updates posted to two replicas at once. */
  redeliverRatio?: number;
  /** More settings for every replica. */
  env?: Record<string, string>;
}

export interface Cluster {
  telegram: FakeTelegram;
  crm: MockBrainysoft;
  /** Where each replica listens (webhook mode: where the fake posts its updates), by index. */
  readonly origins: string[];
  /** The running process of each replica, by index. */
  readonly replicas: (MainProcess | undefined)[];
  /** Starts replica `i` (again) and waits for its "bot started" line. */
  start(i: number): Promise<MainProcess>;
  /** SIGKILL, as a lost host or the OOM killer. */
  kill(i: number): Promise<void>;
  /** Webhook mode: replica i's /readyz status (0 when it does not answer). */
  readyz(i: number): Promise<number>;
  /** How many leads the store has recorded a Brainysoft number for. */
  recordedDeliveries(): Promise<number>;
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const ports = await Promise.all(Array.from({ length: options.replicas }, freePort));
  const origins = ports.map((port) => `http://127.0.0.1:${port}`);
  const webhook = options.mode === "webhook";
  const telegram = await startFakeTelegram({
    token: TEST_BOT_TOKEN,
    waitTimeoutMs: WAIT,
    // A dead replica's updates go to the next one soon, and are never given up.
    webhookRetryDelayMs: 100,
    webhookMaxAttempts: 10_000,
    ...(webhook ? { webhookBalancer: { targets: origins, redeliverRatio: options.redeliverRatio ?? 0 } } : {}),
  });
  const crm = await startMockBrainysoft({ token: TEST_CRM_TOKEN });
  const inspector = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
  inspector.on("error", () => {});
  const dataDir = mkdtempSync(join(tmpdir(), "lead-bot-replicas-"));
  const replicas: (MainProcess | undefined)[] = [];

  const cluster: Cluster = {
    telegram,
    crm,
    origins,
    replicas,
    async start(i) {
      const bot = startMainProcess({
        env: botProcessEnv(
          { telegramApiRoot: telegram.apiRoot, brainysoftUrl: crm.baseUrl, dataDir },
          {
            DATABASE_URL: options.databaseUrl,
            DATABASE_SCHEMA: options.schema,
            PORT: String(ports[i] ?? 0),
            ...(webhook ? { BOT_MODE: "webhook", WEBHOOK_URL: `http://127.0.0.1:${ports[0]}/telegram`, WEBHOOK_SECRET: "replicas" } : {}),
            ...options.env,
          },
        ),
      });
      replicas[i] = bot;
      await bot.waitForLog((line) => line.msg === "bot started", WAIT);
      return bot;
    },
    async kill(i) {
      const bot = replicas[i];
      bot?.kill("SIGKILL");
      await bot?.exited;
    },
    readyz: (i) =>
      fetch(`http://127.0.0.1:${ports[i]}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
        (response) => response.status,
        () => 0,
      ),
    async recordedDeliveries() {
      const { rows } = await inspector.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${quoteIdentifier(options.schema)}.leads WHERE brainysoft_id IS NOT NULL`,
      );
      return Number(rows[0]?.n ?? 0);
    },
    async close() {
      await Promise.all(replicas.map((bot) => bot?.dispose()));
      await inspector.end();
      await telegram.close();
      await crm.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // One after another: the first creates the tables (the others would wait for its migration lock anyway).
  for (let i = 0; i < options.replicas; i++) await cluster.start(i);
  return cluster;
}

/**
 * For a test file on the server at `url`: `start` gives a test its cluster on a schema of its own
 * (`databaseUrl` may lead to that server another way, through a proxy); cluster, schema and whatever
 * was passed to `after` are gone after the test.
 */
export function clusterPerTest(url: string): {
  start(options: Omit<ClusterOptions, "databaseUrl" | "schema"> & { databaseUrl?: string }): Promise<Cluster>;
  after(cleanup: () => Promise<void>): void;
} {
  const database = testDatabase(url);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await database.dropSchemas();
  });
  afterAll(() => database.end());
  return {
    async start(options) {
      const cluster = await startCluster({ databaseUrl: url, ...options, schema: database.newSchema() });
      cleanups.unshift(() => cluster.close());
      return cluster;
    },
    after: (cleanup) => void cleanups.push(cleanup),
  };
}

/**
 * The replica bench (`npm run bench -- --only replicas`): the lead bot in webhook mode as 1, 2 and 3
 * processes on one PostgreSQL, and as one process on SQLite, each driven by the same customers through
 * the fake Telegram (posting updates to the replicas round-robin, as a load balancer would) and the mock
 * Brainysoft over loopback. Leads/s, step latency and the bots' CPU per lead (all replicas together, from
 * /proc) are compared within one run, as ratios against SQLite: only those mean anything on a shared machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startFakeTelegram } from "../../src/fakes/fake-telegram.js";
import { startMockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import { TEST_BOT_TOKEN, TEST_CRM_TOKEN } from "../harness/test-app.js";
import { freePort } from "../runtime/helpers.js";
import type { Command } from "./bot-command.js";
import { type BotProcess, startBotProcess } from "./bot-process.js";
import { driveCustomers } from "./customers.js";
import { procReader } from "./proc-stats.js";

export interface ReplicaSetup {
  name: string;
  replicas: number;
  /** A postgres:// URL (each run gets a schema of its own, dropped after), or undefined for SQLite. */
  databaseUrl?: string | undefined;
}

export interface ReplicaReport {
  name: string;
  leads: number;
  failures: string[];
  leadsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** All replicas' CPU together, per lead. */
  cpuMsPerLead: number;
  /** The replicas' peak RSS added up. */
  peakRssMiB: number;
}

const SECRET = "bench-secret";
const MiB = 2 ** 20;

async function waitForHealth(port: number, bot: BotProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!bot.alive()) throw new Error(`a replica exited before it was ready:\n${bot.output().join("\n")}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`a replica was not ready within ${timeoutMs} ms:\n${bot.output().join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function measureReplicas(
  setup: ReplicaSetup,
  command: Command,
  load: { count: number; concurrency: number; firstCustomer: number },
): Promise<ReplicaReport> {
  const ports = await Promise.all(Array.from({ length: setup.replicas }, freePort));
  const webhookUrl = `http://127.0.0.1:${ports[0]}/telegram`;
  const telegram = await startFakeTelegram({
    token: TEST_BOT_TOKEN,
    webhookBalancer: { targets: ports.map((port) => `http://127.0.0.1:${port}`) },
  });
  const crm = await startMockBrainysoft({ token: TEST_CRM_TOKEN });
  const admin = setup.databaseUrl ? new pg.Client({ connectionString: setup.databaseUrl }) : undefined;
  const schema = `bench_${process.pid}_${Date.now() % 1e6}`;
  const dataDir = mkdtempSync(join(tmpdir(), "lead-bot-bench-replicas-"));
  const proc = procReader();
  const bots: BotProcess[] = [];
  try {
    await admin?.connect();
    const store: Record<string, string> = admin
      ? { DATABASE_URL: setup.databaseUrl ?? "", DATABASE_SCHEMA: schema }
      : { DATA_DIR: dataDir };
    for (const port of ports) {
      const bot = startBotProcess(command, {
        BOT_TOKEN: TEST_BOT_TOKEN,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        BRAINYSOFT_URL: crm.baseUrl,
        BRAINYSOFT_TOKEN: TEST_CRM_TOKEN,
        BOT_MODE: "webhook",
        WEBHOOK_URL: webhookUrl,
        WEBHOOK_SECRET: SECRET,
        PORT: String(port),
        LOG_LEVEL: "warn",
        NODE_ENV: "production",
        ...store,
      });
      bots.push(bot);
      // One after another: the first creates the tables, and the start-up is not what is measured.
      await waitForHealth(port, bot, 120_000);
    }
    const cpuBefore = bots.reduce((sum, bot) => sum + proc.cpuMs(bot.pid), 0);
    const run = await driveCustomers(telegram, { ...load, answerTimeoutMs: 120_000 });
    const cpuMs = bots.reduce((sum, bot) => sum + proc.cpuMs(bot.pid), 0) - cpuBefore;
    const phones = new Map<string, number>();
    for (const lead of crm.received) phones.set(String(lead.body.mobilePhone), (phones.get(String(lead.body.mobilePhone)) ?? 0) + 1);
    const twice = [...phones].filter(([, n]) => n > 1).map(([phone, n]) => `${phone}: the CRM received ${n} leads`);
    const all = run.stepMs.flat().sort((a, b) => a - b);
    return {
      name: setup.name,
      leads: load.count,
      failures: [...run.failures, ...twice, ...(phones.size === load.count ? [] : [`the CRM has ${phones.size} of ${load.count} leads`])],
      leadsPerSecond: load.count / (run.wallMs / 1000),
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      cpuMsPerLead: cpuMs / load.count,
      peakRssMiB: bots.reduce((sum, bot) => sum + proc.peakRssBytes(bot.pid), 0) / MiB,
    };
  } finally {
    await Promise.all(bots.map((bot) => bot.stop()));
    await telegram.close();
    await crm.close();
    if (admin) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fixed = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

/** One line per setup, with its ratios against the first (one replica on SQLite). */
export function formatReplicaTable(reports: ReplicaReport[]): string {
  const base = reports[0];
  const header = "| | leads/s | p50 ms | p99 ms | CPU ms/lead | peak RSS MiB (all) | leads/s vs SQLite | p99 vs SQLite | failed |";
  const rows = reports.map((r) =>
    [
      r.name,
      fixed(r.leadsPerSecond),
      fixed(r.p50Ms),
      fixed(r.p99Ms),
      fixed(r.cpuMsPerLead, 2),
      fixed(r.peakRssMiB, 0),
      base ? `${fixed(r.leadsPerSecond / base.leadsPerSecond, 2)}x` : "-",
      base ? `${fixed(r.p99Ms / base.p99Ms, 2)}x` : "-",
      String(r.failures.length),
    ].join(" | "),
  );
  return [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|", ...rows.map((row) => `| ${row} |`)].join("\n");
}

/** The PostgreSQL of the project's machines (README, "Testing"), unless --store names another. */
const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Runs the replica bench and prints its table; false when a customer did not get their lead, or one went twice. */
export async function replicaBench(
  command: Command,
  args: { count: number; concurrency: number; store?: string | undefined; rounds: number },
): Promise<boolean> {
  const databaseUrl = args.store?.startsWith("postgres") ? args.store : DEFAULT_DATABASE_URL;
  const setups: ReplicaSetup[] = [
    { name: "1 replica, SQLite", replicas: 1 },
    { name: "1 replica, PostgreSQL", replicas: 1, databaseUrl },
    { name: "2 replicas, PostgreSQL", replicas: 2, databaseUrl },
    { name: "3 replicas, PostgreSQL", replicas: 3, databaseUrl },
  ];
  console.log(`replicas: webhook mode, ${args.count} customers, ${args.concurrency} at a time; lead bot: ${command.shown}`);
  let ok = true;
  for (let round = 1; round <= args.rounds; round++) {
    const reports: ReplicaReport[] = [];
    for (const [i, setup] of setups.entries()) {
      // New customers for each setup: PostgreSQL schemas are new, but a phone is a phone to the mock CRM's eyes.
      const report = await measureReplicas(setup, command, {
        count: args.count,
        concurrency: args.concurrency,
        firstCustomer: i * args.count,
      });
      if (report.failures.length > 0) {
        ok = false;
        console.log(`${report.name}: ${report.failures.length} problems, e.g.\n  ${report.failures.slice(0, 5).join("\n  ")}`);
      }
      reports.push(report);
    }
    if (args.rounds > 1) console.log(`\nround ${round}`);
    console.log(formatReplicaTable(reports));
  }
  return ok;
}

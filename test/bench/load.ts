/**
 * The process-level load bench (`npm run bench -- --only load`): a bot started as its own process, as
 * `npm start` runs it, against the fake Telegram and the mock Brainysoft of test/harness over HTTP on
 * loopback, driven by customers (customers.ts). The bot's CPU time and peak RSS are read from /proc, so
 * only the bot's own work counts, not the fakes' or the customers' in this process.
 *
 * Each target gets fresh fakes and a fresh temporary data directory (or a copy of a seeded store), and the
 * same customers: the lead bot and the plain grammY reference bot (reference-bot.ts) are compared within
 * one run, since only ratios mean anything on a shared machine.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { startFakeTelegram, type FakeTelegram } from "../../src/fakes/fake-telegram.js";
import { startMockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import { TEST_BOT_TOKEN, TEST_CRM_TOKEN } from "../harness/test-app.js";
import type { Command } from "./bot-command.js";
import { startBotProcess, waitUntilPolling } from "./bot-process.js";
import { customer, driveCustomers, STEP_NAMES } from "./customers.js";
import { procReader } from "./proc-stats.js";

export interface Target {
  name: string;
  command: Command;
  /** Where the store lives: a directory (kept), a PostgreSQL URL, or nothing for a temporary directory. */
  store?: string | undefined;
  /** A SQLite file copied to the temporary data directory as bot.sqlite before the start (a seeded history). */
  seedFile?: string | undefined;
  /** Node options put before the command's own (e.g. --cpu-prof). */
  nodeOptions?: string[] | undefined;
  /** Extra environment for this bot (e.g. BRAINYSOFT_CONCURRENCY). */
  env?: Record<string, string> | undefined;
}

export interface LoadOptions {
  /** Customers in all. */
  count: number;
  /** Customers at a time. */
  concurrency: number;
  /** How long one step may wait for the bot's answer before that customer counts as failed. */
  answerTimeoutMs?: number;
  /** How long the mock Brainysoft takes to answer each lead (a real CRM is not instant); default 0. */
  crmLatencyMs?: number | undefined;
}

export interface TargetReport {
  name: string;
  command: string;
  leads: number;
  /** Lead requests the mock Brainysoft received, and for how many distinct phones. */
  crmReceived: number;
  crmPhones: number;
  /** Customers who did not get their answer, leads missing or repeated at the CRM, wrong lead numbers. */
  failures: string[];
  /** From the spawn to the first getUpdates. */
  startupMs: number;
  wallMs: number;
  leadsPerSecond: number;
  cpuMs: number;
  cpuMsPerLead: number;
  /** This process's CPU per lead meanwhile (fake Telegram, mock Brainysoft, customers): the load's own cost. */
  driverCpuMsPerLead: number;
  /** All steps together, and per step (STEP_NAMES order). */
  p50Ms: number;
  p99Ms: number;
  steps: { name: string; p50Ms: number; p99Ms: number }[];
  peakRssMiB: number;
  /** RSS once polling, before the load. */
  idleRssMiB: number;
  /** Bot API calls the fake Telegram got during the load, by method. */
  apiCalls: Record<string, number>;
  /** Lines the bot printed (at LOG_LEVEL=warn: warnings and errors). */
  logLines: number;
  logTail: string[];
  /** The load window on the monotonic clock (ns), for cutting a CPU profile to it. */
  loadWindowNs: [bigint, bigint];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const MiB = 2 ** 20;
/** After the first poll, before CPU is counted: the command menus the bot sets in the background. */
const SETTLE_BEFORE_MS = 500;
/** After the last answer, before CPU is read: what the bot does after answering (journal, confirmations). */
const SETTLE_AFTER_MS = 300;

export async function measureTarget(target: Target, options: LoadOptions): Promise<TargetReport> {
  const telegram = await startFakeTelegram({ token: TEST_BOT_TOKEN });
  const crm = await startMockBrainysoft({ token: TEST_CRM_TOKEN });
  if (options.crmLatencyMs) crm.setFault("slow", { slowMs: options.crmLatencyMs });
  const isPostgres = target.store?.startsWith("postgres") ?? false;
  const tempDir = target.store === undefined || isPostgres ? mkdtempSync(join(tmpdir(), "lead-bot-bench-data-")) : undefined;
  const dataDir = tempDir ?? target.store ?? "";
  const proc = procReader();
  let bot: ReturnType<typeof startBotProcess> | undefined;
  try {
    if (target.seedFile) {
      const file = join(dataDir, "bot.sqlite");
      copyFileSync(target.seedFile, file);
      // Written out before the bot starts: otherwise its first write waits behind the kernel flushing the
      // copy (hundreds of MiB), and the start-up time measures the disk, not the bot.
      const fd = openSync(file, "r+");
      fsyncSync(fd);
      closeSync(fd);
    }
    const lastUpdateId = tempDir ? undefined : lastHandledUpdate(join(dataDir, "bot.sqlite"));
    const command: Command = { ...target.command, args: [...(target.nodeOptions ?? []), ...target.command.args] };
    const spawnedAt = performance.now();
    bot = startBotProcess(command, {
      BOT_TOKEN: TEST_BOT_TOKEN,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      BRAINYSOFT_URL: crm.baseUrl,
      BRAINYSOFT_TOKEN: TEST_CRM_TOKEN,
      DATA_DIR: dataDir,
      ...(isPostgres && target.store ? { DATABASE_URL: target.store } : {}),
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      PORT: "0",
      ...target.env,
    });
    await waitUntilPolling(telegram, bot, 120_000);
    const startupMs = performance.now() - spawnedAt;
    if (lastUpdateId !== undefined) skipUpdateIds(telegram, lastUpdateId);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_BEFORE_MS));
    const idleRssMiB = proc.rssBytes(bot.pid) / MiB;

    const callsBefore = telegram.calls.length;
    const cpuBefore = proc.cpuMs(bot.pid);
    const driverBefore = process.cpuUsage();
    const windowStart = process.hrtime.bigint();
    // A kept store remembers earlier runs' phones (DUPLICATE_WINDOW) and users (LEADS_PER_USER_PER_DAY): new ones each run.
    const firstCustomer = tempDir ? 0 : (Math.floor(Date.now() / 1000) % 9_000) * 1_000;
    const run = await driveCustomers(telegram, {
      firstCustomer,
      count: options.count,
      concurrency: options.concurrency,
      answerTimeoutMs: options.answerTimeoutMs ?? 120_000,
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_AFTER_MS));
    const windowEnd = process.hrtime.bigint();
    const cpuMs = proc.cpuMs(bot.pid) - cpuBefore;
    const driver = process.cpuUsage(driverBefore);
    const peakRssMiB = proc.peakRssBytes(bot.pid) / MiB;

    const apiCalls: Record<string, number> = {};
    for (const call of telegram.calls.slice(callsBefore)) apiCalls[call.method] = (apiCalls[call.method] ?? 0) + 1;
    const failures = [...run.failures, ...checkLeads(crm.received, run.finalText, firstCustomer, options.count)];
    const all = run.stepMs.flat().sort((a, b) => a - b);
    const leads = options.count;
    return {
      name: target.name,
      command: command.shown,
      leads,
      crmReceived: crm.received.length,
      crmPhones: new Set(crm.received.map((lead) => String(lead.body.mobilePhone))).size,
      failures,
      startupMs,
      wallMs: run.wallMs,
      leadsPerSecond: leads / (run.wallMs / 1000),
      cpuMs,
      cpuMsPerLead: cpuMs / leads,
      driverCpuMsPerLead: (driver.user + driver.system) / 1000 / leads,
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      steps: run.stepMs.map((ms, i) => {
        const sorted = [...ms].sort((a, b) => a - b);
        return { name: STEP_NAMES[i] ?? String(i), p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
      }),
      peakRssMiB,
      idleRssMiB,
      apiCalls,
      logLines: bot.lineCount(),
      logTail: bot.output().slice(-5),
      loadWindowNs: [windowStart, windowEnd],
    };
  } finally {
    const exit = await bot?.stop();
    if (exit && exit.code !== 0) console.error(`${target.name}: the bot exited with ${exit.code ?? exit.signal} after SIGTERM`);
    await telegram.close();
    await crm.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

/** The highest update id a kept SQLite store remembers as handled, if any. */
function lastHandledUpdate(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[], number | null>("SELECT max(update_id) FROM processed_updates").pluck().get() ?? undefined;
  } finally {
    db.close();
  }
}

/**
 * A new fake Telegram numbers updates from 1, which a kept store remembers as handled from an earlier
 * run (and rightly ignores): carry on after them, as Telegram would, with an update of a type the bot
 * did not ask for, which the fake drops as Telegram does.
 */
function skipUpdateIds(telegram: FakeTelegram, last: number): void {
  telegram.injectRaw({ update_id: last + 1, poll: { id: "bench" } });
}

/** Every customer's lead reached the CRM exactly once, and the customer was told its number. */
function checkLeads(
  received: { body: Record<string, unknown>; id?: number }[],
  finalText: Map<string, string>,
  firstCustomer: number,
  count: number,
): string[] {
  const problems: string[] = [];
  const byPhone = new Map<string, { id?: number }[]>();
  for (const lead of received) {
    const phone = String(lead.body.mobilePhone);
    byPhone.set(phone, [...(byPhone.get(phone) ?? []), lead]);
  }
  for (let i = firstCustomer; i < firstCustomer + count; i++) {
    const { phone } = customer(i);
    const got = byPhone.get(phone) ?? [];
    if (got.length !== 1) problems.push(`${phone}: the CRM received ${got.length} leads`);
    const id = got[0]?.id;
    const text = finalText.get(phone);
    if (id !== undefined && text !== undefined && !text.includes(String(id))) problems.push(`${phone}: told "${text}", not lead ${id}`);
  }
  if (received.length !== count) problems.push(`the CRM received ${received.length} requests for ${count} customers`);
  return problems;
}

// ----- Report -------------------------------------------------------------------------------------------------

const fixed = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

export function formatTable(reports: TargetReport[]): string {
  const header = [
    "",
    "leads",
    "failed",
    "leads/s",
    "CPU ms/lead",
    "p50 ms",
    "p99 ms",
    "peak RSS MiB",
    "idle RSS MiB",
    "start-up ms",
    "log lines",
    "driver CPU ms/lead",
  ];
  const rows = reports.map((r) => [
    r.name,
    String(r.leads),
    String(r.failures.length),
    fixed(r.leadsPerSecond),
    fixed(r.cpuMsPerLead, 2),
    fixed(r.p50Ms),
    fixed(r.p99Ms),
    fixed(r.peakRssMiB),
    fixed(r.idleRssMiB),
    fixed(r.startupMs, 0),
    String(r.logLines),
    fixed(r.driverCpuMsPerLead, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const steps = reports.map(
    (r) => `  ${r.name}: ${r.steps.map((s) => `${s.name} p50 ${fixed(s.p50Ms)} / p99 ${fixed(s.p99Ms)} ms`).join(", ")}`,
  );
  const calls = reports.map(
    (r) =>
      `  ${r.name}: ${Object.entries(r.apiCalls)
        .map(([method, n]) => `${method} ${fixed(n / r.leads, 2)}`)
        .join(", ")}`,
  );
  const separator = `|${widths.map((w, i) => (i === 0 ? "-" : "").padEnd(w + 1, "-") + (i === 0 ? "-" : ":")).join("|")}|`;
  return [line(header), separator, ...rows.map(line), "per step:", ...steps, "Bot API calls per lead:", ...calls].join("\n");
}

/** The figures compared between two bots. */
const RATIOS: [string, (r: TargetReport) => number][] = [
  ["CPU per lead", (r) => r.cpuMsPerLead],
  ["p99", (r) => r.p99Ms],
  ["p50", (r) => r.p50Ms],
  ["peak RSS", (r) => r.peakRssMiB],
  ["leads/s", (r) => r.leadsPerSecond],
];

/** `subject` against `base`: below 1 is better for CPU, latency and memory, above 1 for leads/s. */
export function formatRatios(subject: TargetReport, base: TargetReport): string {
  return [`${subject.name} / ${base.name}:`, ...RATIOS.map(([name, of]) => `${name} ${fixed(of(subject) / of(base), 2)}x`)].join("  ");
}

/**
 * The same ratios over several rounds: the median of each, with the lowest and the highest. One round on
 * a shared machine moves by 15-25%; the median of many is what a change is judged by.
 */
export function formatMedianRatios(pairs: [TargetReport, TargetReport][]): string {
  const [first] = pairs;
  if (!first) return "";
  const figures = RATIOS.map(([name, of]) => {
    const ratios = pairs.map(([subject, base]) => of(subject) / of(base)).sort((a, b) => a - b);
    const mid = ratios.length / 2;
    const median = ratios.length % 2 === 1 ? (ratios[Math.floor(mid)] ?? 0) : ((ratios[mid - 1] ?? 0) + (ratios[mid] ?? 0)) / 2;
    return `${name} ${fixed(median, 2)}x (${fixed(ratios[0] ?? 0, 2)}-${fixed(ratios.at(-1) ?? 0, 2)})`;
  });
  return [`${first[0].name} / ${first[1].name}, median of ${pairs.length} rounds:`, ...figures].join("  ");
}

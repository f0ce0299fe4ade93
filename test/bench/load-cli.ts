/** Options and output of the load bench, for run.ts (`npm run bench -- --only load ...`). */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SCHEMA_VERSION } from "../../src/store/migrations.js";
import { type Command, directCommand, ensureBuilt, referenceCommand, startScript, transpiledBotCommand } from "./bot-command.js";
import { formatMedianRatios, formatRatios, formatTable, measureTarget, type Target, type TargetReport } from "./load.js";
import { formatSummary, readProfile, summarizeProfile } from "./profile-summary.js";
import { cachedBigStore } from "./seed-big.js";

export const USAGE = `npm run bench [-- options]
  --only micro|load|replicas
                      run only the micro benchmarks, only the process-level load run (default: both), or
                      the replica run: webhook mode, 1 replica on SQLite against 1, 2 and 3 on PostgreSQL
                      (--store postgres://... or the local test server; --n, --c, --rounds apply)
load run options:
  --n N               customers in all (default 600)
  --c C               customers at a time (default 200)
  --store DIR|URL     the lead bot's store: a data directory (kept, not emptied) or a postgres:// URL
                      passed as DATABASE_URL (default: a new temporary directory)
  --seed-big          also run the lead bot on a copy of a big history (1,000,000 leads, 5,000,000 events,
                      100,000 conversations; seeded once a day into the temp directory: two minutes on a busy 2-core machine)
  --cmd "node ..."    how to start the bot (default: package.json's start script, run without npm; a
                      compiled one is built first when older than src/). The plain bot runs the same
                      way: through tsx when the lead bot does, else compiled
  --against "node ..." also run the lead bot started so in every round, with its ratios to the lead bot: a
                      change against the build before it (e.g. one in a git worktree) in the same run
  --compiled          run the lead bot from the sources transpiled to JavaScript (no npm run build)
  --env KEY=VALUE     a setting for the lead bot (repeatable), e.g. --env BRAINYSOFT_CONCURRENCY=50
  --crm-ms MS         the mock Brainysoft answers each lead after MS milliseconds (default 0: at once)
  --rounds R          measure the bots R times, alternating (default 1)
  --cpu-prof DIR      write V8 CPU profiles of both bots to DIR and print where the time went during the
                      load (profiling slows the bots: compare such a run's numbers with each other only)
  --json FILE         also write the reports as JSON`;

export interface LoadArgs {
  only?: "micro" | "load" | "replicas" | undefined;
  count: number;
  concurrency: number;
  store?: string | undefined;
  seedBig: boolean;
  cmd?: string | undefined;
  against?: string | undefined;
  compiled: boolean;
  /** Settings for the lead bot only (the plain bot has none of them). */
  env: Record<string, string>;
  rounds: number;
  crmLatencyMs?: number | undefined;
  cpuProfDir?: string | undefined;
  json?: string | undefined;
}

export function parseLoadArgs(argv: string[]): LoadArgs {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    if (at < 0) return undefined;
    const v = argv[at + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value\n${USAGE}`);
    return v;
  };
  const count = (name: string, fallback: number): number => {
    const v = value(name);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number above 0\n${USAGE}`);
    return n;
  };
  const only = value("--only");
  if (only !== undefined && only !== "micro" && only !== "load" && only !== "replicas") {
    throw new Error(`--only takes micro, load or replicas\n${USAGE}`);
  }
  return {
    only,
    count: count("--n", 600),
    concurrency: count("--c", 200),
    store: value("--store"),
    seedBig: argv.includes("--seed-big"),
    cmd: value("--cmd"),
    against: value("--against"),
    compiled: argv.includes("--compiled"),
    env: Object.fromEntries(
      argv
        .flatMap((arg, i) => (arg === "--env" ? [argv[i + 1] ?? ""] : []))
        .map((pair) => {
          const at = pair.indexOf("=");
          if (at < 1) throw new Error(`--env takes KEY=VALUE, not "${pair}"\n${USAGE}`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
    ),
    rounds: count("--rounds", 1),
    crmLatencyMs: argv.includes("--crm-ms") ? count("--crm-ms", 0) : undefined,
    cpuProfDir: value("--cpu-prof"),
    json: value("--json"),
  };
}

const BOT = "lead bot";
const PLAIN = "plain grammY";
const BIG = "lead bot, big store";
const AGAINST = "lead bot, against";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** One directory per bot: each thread writes its own profile (tsx's module loader runs on a worker thread). */
const profileOptions = (dir: string | undefined, name: string) => (dir ? ["--cpu-prof", `--cpu-prof-dir=${join(dir, name)}`] : []);

/** The lead bot's command as the options say, built first when it runs compiled. */
export function leadBotCommand(args: Pick<LoadArgs, "compiled" | "cmd">): Command {
  const command = args.compiled ? transpiledBotCommand(ROOT) : directCommand(args.cmd ?? startScript(ROOT), ROOT);
  ensureBuilt(command, ROOT, (line) => console.log(line));
  return command;
}

/** Runs the load bench and prints its report; false when a customer did not get their lead. */
export async function loadBench(args: LoadArgs): Promise<boolean> {
  const botCommand = leadBotCommand(args);
  const plainCommand = referenceCommand(ROOT, botCommand);
  const againstCommand = args.against === undefined ? undefined : directCommand(args.against, ROOT);
  const profDir = args.cpuProfDir && resolve(args.cpuProfDir);
  if (profDir) mkdirSync(profDir, { recursive: true });
  const seedFile = args.seedBig ? cachedBigStore(tmpdir(), SCHEMA_VERSION, (line) => console.log(line)) : undefined;
  console.log(`load: ${args.count} customers, ${args.concurrency} at a time, each /start, name, own contact`);
  const settings = Object.entries(args.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  console.log(
    `  lead bot: ${botCommand.shown}${args.store ? ` (store ${args.store.replace(/\/\/[^@/]*@/, "//***@")})` : ""}${settings ? ` with ${settings}` : ""}`,
  );
  if (againstCommand) console.log(`  against:  ${againstCommand.shown}`);
  console.log(`  plain:    ${plainCommand.shown}`);

  // The driver and the fakes share the machine with the bot: their own first minutes (JIT, heap growth) would
  // load the bot measured first more than the others. One small run first, not measured, warms them up.
  console.log("warm-up: 200 customers against the plain bot, not measured");
  await measureTarget({ name: "warm-up", command: plainCommand }, { count: 200, concurrency: args.concurrency });
  const reports: TargetReport[][] = [];
  let ok = true;
  for (let round = 1; round <= args.rounds; round++) {
    const targets: Target[] = [
      { name: BOT, command: botCommand, store: args.store, env: args.env, nodeOptions: profileOptions(profDir, `bot-${round}`) },
      ...(seedFile
        ? [
            {
              name: BIG,
              command: botCommand,
              seedFile,
              env: args.env,
              nodeOptions: profileOptions(profDir, `bot-big-${round}`),
            },
          ]
        : []),
      ...(againstCommand
        ? [
            {
              name: AGAINST,
              command: againstCommand,
              store: args.store,
              env: args.env,
              nodeOptions: profileOptions(profDir, `against-${round}`),
            },
          ]
        : []),
      { name: PLAIN, command: plainCommand, nodeOptions: profileOptions(profDir, `plain-${round}`) },
    ];
    const results: TargetReport[] = [];
    // Each round starts with another bot: the machine is not the same in the first measurement of a round and the last.
    for (const target of rotate(targets, round - 1)) {
      const report = await measureTarget(target, { count: args.count, concurrency: args.concurrency, crmLatencyMs: args.crmLatencyMs });
      results.push(report);
      if (report.failures.length > 0) {
        ok = false;
        console.log(`${report.name}: ${report.failures.length} problems, e.g.\n  ${report.failures.slice(0, 5).join("\n  ")}`);
      }
      if (report.logLines > 0) console.log(`${report.name} printed ${report.logLines} lines, the last:\n  ${report.logTail.join("\n  ")}`);
    }
    reports.push(results);
    if (args.rounds > 1) console.log(`\nround ${round}`);
    // Printed in the same order every round.
    results.sort((a, b) => targets.findIndex((t) => t.name === a.name) - targets.findIndex((t) => t.name === b.name));
    console.log(formatTable(results));
    const bot = results.find((r) => r.name === BOT);
    const plain = results.find((r) => r.name === PLAIN);
    if (bot && plain) console.log(formatRatios(bot, plain));
    const against = results.find((r) => r.name === AGAINST);
    if (bot && against) console.log(formatRatios(bot, against));
    const big = results.find((r) => r.name === BIG);
    if (bot && big) console.log(formatRatios(big, bot), `  start-up with the big store ${(big.startupMs / 1000).toFixed(2)} s`);
    if (profDir) printProfiles(profDir, round, results);
  }
  if (args.rounds > 1) {
    console.log("");
    const pairs = (subject: string, base: string) =>
      reports.flatMap((round): [TargetReport, TargetReport][] => {
        const a = round.find((r) => r.name === subject);
        const b = round.find((r) => r.name === base);
        return a && b ? [[a, b]] : [];
      });
    for (const [subject, base] of [
      [BOT, PLAIN],
      [BOT, AGAINST],
      [BIG, BOT],
    ] as const) {
      const summary = formatMedianRatios(pairs(subject, base));
      if (summary) console.log(summary);
    }
  }
  if (args.json) {
    writeFileSync(
      args.json,
      JSON.stringify(reports, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
    );
  }
  return ok;
}

/** `items` starting at index `by` (mod length), the rest in order after it. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const at = by % Math.max(items.length, 1);
  return [...items.slice(at), ...items.slice(0, at)];
}

function printProfiles(dir: string, round: number, results: TargetReport[]): void {
  const dirs: Record<string, string> = {
    [BOT]: `bot-${round}`,
    [BIG]: `bot-big-${round}`,
    [AGAINST]: `against-${round}`,
    [PLAIN]: `plain-${round}`,
  };
  for (const report of results) {
    const profileDir = join(dir, dirs[report.name] ?? report.name);
    const [from, to] = report.loadWindowNs;
    const window = { fromUs: Number(from / 1000n), toUs: Number(to / 1000n) };
    // Node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread's id is 0.
    const files = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
    for (const file of files) {
      const summary = summarizeProfile(readProfile(join(profileDir, file)), window);
      if (/\.0\.\d+\.cpuprofile$/.test(file)) {
        console.log(`\nCPU profile of ${report.name} (main thread) during the load (${join(profileDir, file)}):`);
        console.log(formatSummary(summary, 25, report.leads));
      } else {
        console.log(`\n${report.name}, another thread (${file}): busy ${summary.busyMs.toFixed(0)} ms during the load`);
      }
    }
  }
}

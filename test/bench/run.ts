/**
 * Benchmarks, run with `npm run bench` (not part of `npm test`: timings on a shared machine are noise
 * unless compared within one run). Prints the machine, then each measurement with a baseline measured
 * in the same run, so the ratio is what to compare between runs and machines.
 *
 * `npm run bench -- --only micro|load|replicas` runs one part; the load part's options are in USAGE below.
 */
import { cpus, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { normalizePhone } from "../../src/phone.js";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { startTestApp } from "../harness/test-app.js";
import { leadBotCommand, loadBench, parseLoadArgs, USAGE } from "./load-cli.js";
import { replicaBench } from "./replicas.js";

interface Result {
  name: string;
  value: number;
  unit: string;
}

function opsPerSecond(name: string, iterations: number, fn: (i: number) => unknown): Result {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return { name, value: iterations / ((performance.now() - started) / 1000), unit: "ops/s" };
}

const TYPED = ["+7 (977) 620-07-77", "8 977 620 07 77", "9776200777", "+380 50 123 4567", "8 800 555 35 35"];

function phoneRules(): Result[] {
  const rules = { defaultCountry: "RU" as const };
  const baseline = opsPerSecond("baseline: strip non-digits with a regex", 200_000, (i) => TYPED[i % TYPED.length]!.replace(/\D/g, ""));
  const normalize = opsPerSecond("normalizePhone (typed, RU default)", 50_000, (i) =>
    normalizePhone(TYPED[i % TYPED.length]!, "typed", rules),
  );
  return [baseline, normalize, { name: "normalizePhone cost vs baseline", value: baseline.value / normalize.value, unit: "x slower" }];
}

/** Customers completing the whole conversation at once, through the fake Telegram and mock CRM over HTTP. */
async function endToEnd(customers: number): Promise<Result[]> {
  const t = await startTestApp({ env: { LOG_LEVEL: "warn", BRAINYSOFT_CONCURRENCY: "8" } });
  try {
    const users: FakeUser[] = Array.from({ length: customers }, (_, i) => ({ id: 900_000 + i, first_name: "Анна", language_code: "ru" }));
    // Baseline: the same number of bot replies without any lead logic, /help answered straight away.
    let started = performance.now();
    await Promise.all(
      users.map(async (u) => {
        t.telegram.sendText(u, "/help");
        await t.telegram.nextMessage(u.id, 60_000);
      }),
    );
    const helpMs = performance.now() - started;

    started = performance.now();
    await Promise.all(
      users.map(async (u, i) => {
        t.telegram.sendText(u, "/start");
        await t.telegram.nextMessage(u.id, 60_000);
        await t.telegram.nextMessage(u.id, 60_000);
        t.telegram.sendText(u, "Анна");
        await t.telegram.nextMessage(u.id, 60_000);
        t.telegram.sendText(u, `+7 977 ${String(i).padStart(3, "0")}-00-77`); // distinct phones: no duplicates
        await t.telegram.nextMessage(u.id, 60_000);
      }),
    );
    const leadMs = performance.now() - started;
    if (t.crm.created.length !== customers) throw new Error(`expected ${customers} leads, the CRM has ${t.crm.created.length}`);
    return [
      { name: `${customers} customers: one /help each (baseline)`, value: helpMs, unit: "ms" },
      { name: `${customers} customers: whole lead conversation each (4 updates)`, value: leadMs, unit: "ms" },
      { name: "leads per second", value: customers / (leadMs / 1000), unit: "leads/s" },
      { name: "lead conversation vs one /help", value: leadMs / helpMs, unit: "x" },
    ];
  } finally {
    await t.close();
  }
}

// Ctrl-C or a kill ends the run through process.exit, whose "exit" handlers stop the bots it started.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
const args = process.argv.slice(2);
if (args.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}
const load = parseLoadArgs(args);
const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? "unknown CPU"} x${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
if (load.only === undefined || load.only === "micro") {
  for (const r of [...phoneRules(), ...(await endToEnd(100))]) {
    console.log(`${r.name.padEnd(66)} ${r.value.toFixed(r.value < 10 ? 2 : 0).padStart(10)} ${r.unit}`);
  }
}
if ((load.only === undefined || load.only === "load") && !(await loadBench(load))) process.exitCode = 1;
if (load.only === "replicas" && !(await replicaBench(leadBotCommand(load), load))) process.exitCode = 1;

/**
 * Where a process spent its CPU, from a V8 profile (`node --cpu-prof`): self time by function and by
 * part (SQLite, GC, logging, HTTP clients, grammY, the conversations plugin, ...), optionally only within
 * a time window (the load, without start-up). V8 samples by wall clock: on a busy machine a thread that
 * waits for a core still counts as busy, so the shares are the thing to read, not the milliseconds. A native function (a better-sqlite3 call, a builtin) has
 * no script of its own and counts toward the part of the script that called it.
 *
 * `tsx test/bench/profile-summary.ts FILE.cpuprofile [--from-ns N --to-ns N]`; the load bench calls
 * summarizeProfile with its load window when run with --cpu-prof.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The bot's own files, as sources (tsx) or compiled (`npm start` runs dist/): the same parts either way. */
const own = (url: string, path: string) => url.includes(`/src/${path}`) || url.includes(`/dist/${path}`);

/** Parts, first match wins; tested against the script's URL (or the caller's, for native code). */
const PARTS: [string, (url: string, fn: string) => boolean][] = [
  ["GC", (_u, fn) => fn === "(garbage collector)"],
  ["idle", (_u, fn) => fn === "(idle)"],
  ["V8/native, unattributed (program)", (_u, fn) => fn === "(program)" || fn === "(root)"],
  ["SQLite (better-sqlite3, src/store)", (u) => u.includes("better-sqlite3") || own(u, "store/")],
  [
    "logging (pino, src/logger)",
    (u) =>
      /\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|on-exit-leak-free)\//.test(u) ||
      own(u, "logger."),
  ],
  [
    "node-fetch (grammY's Bot API client)",
    (u) => /\/(node-fetch|whatwg-url|tr46|webidl-conversions|abort-controller|event-target-shim)\//.test(u),
  ],
  // wasm: undici's HTTP parser (llhttp) runs as WebAssembly.
  [
    "undici (Brainysoft client; fetch)",
    (u) => u.includes("/undici/") || u.includes("node:internal/deps/undici") || u.startsWith("wasm://"),
  ],
  ["conversations plugin", (u) => u.includes("@grammyjs/conversations")],
  ["i18n (@grammyjs/i18n, Fluent)", (u) => /\/(@grammyjs\/i18n|@fluent)\//.test(u) || own(u, "i18n.")],
  [
    "grammY (core, runner, auto-retry, ratelimiter)",
    (u) => /\/(grammy|@grammyjs\/runner|@grammyjs\/auto-retry|@grammyjs\/ratelimiter|@grammyjs\/types)\//.test(u),
  ],
  ["libphonenumber-js", (u) => u.includes("libphonenumber-js")],
  [
    "tsx / module loading",
    (u) =>
      /\/(tsx|esbuild|get-tsconfig|resolve-pkg-maps)\//.test(u) ||
      u.startsWith("node:internal/modules") ||
      u.includes("node:internal/process/esm_loader"),
  ],
  ["zod (config)", (u) => u.includes("/zod/")],
  ["bot code (src/, dist/)", (u) => own(u, "")],
  [
    "Node core (http, net, streams, events, timers, microtasks)",
    (u) =>
      /^node:(internal\/)?(http|_http|net|stream|streams|timers|events|buffer|dns|tls|url|zlib|util|internal\/(http|net|stream|streams|timers|event_target|url|buffer|util|async_hooks|perf|abort_controller|webstreams|deps\/cjs-module-lexer))/.test(
        u,
      ) || /^node:(internal\/)?(async_hooks|process\/task_queues)/.test(u),
  ],
];

export interface ProfileSummary {
  /** CPU ms seen in the window, idle excluded. */
  busyMs: number;
  idleMs: number;
  parts: { part: string; ms: number; percent: number }[];
  functions: { name: string; where: string; part: string; ms: number; percent: number }[];
}

function partOf(url: string, fn: string): string {
  for (const [part, test] of PARTS) if (test(url, fn)) return part;
  return "other";
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(/^.*\/(src|test)\//, "$1/");

/** Self time by function and part within [fromUs, toUs] of the profile's clock (µs, CLOCK_MONOTONIC). */
export function summarizeProfile(profile: CpuProfile, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // Native frames have no URL: they belong to the nearest caller that has one (a JSON.parse in grammY is
  // grammY's; a better-sqlite3 statement run is SQLite's), and keep their own name.
  const located = new Map<number, { url: string; part: string }>();
  const locate = (id: number): { url: string; part: string } => {
    const known = located.get(id);
    if (known) return known;
    const node = byId.get(id);
    let url = node?.callFrame.url ?? "";
    const fn = node?.callFrame.functionName ?? "";
    if (url === "" && !fn.startsWith("(")) {
      for (let up = parent.get(id); up !== undefined && url === ""; up = parent.get(up)) url = byId.get(up)?.callFrame.url ?? "";
    }
    // JSON.parse/stringify are native "parse"/"stringify" frames; so is the URL parser, called from node:internal/url.
    const builtinJson = node?.callFrame.url === "" && (fn === "parse" || fn === "stringify") && url !== "node:internal/url";
    const result = { url, part: builtinJson ? "JSON" : partOf(url, fn) };
    located.set(id, result);
    return result;
  };

  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // A sample stands for the time until the next one.
    const duration = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i] ?? -1;
    selfUs.set(id, (selfUs.get(id) ?? 0) + duration);
  }

  const parts = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; part: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { url, part } = locate(id);
    parts.set(part, (parts.get(part) ?? 0) + us);
    const name = node.callFrame.functionName || "(anonymous)";
    const where = node.callFrame.url ? `${shortUrl(url)}:${node.callFrame.lineNumber + 1}` : `native, from ${shortUrl(url) || "-"}`;
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, part, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const idleUs = parts.get("idle") ?? 0;
  parts.delete("idle");
  const busyUs = [...parts.values()].reduce((a, b) => a + b, 0);
  const percent = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    parts: [...parts].map(([part, us]) => ({ part, ms: us / 1000, percent: percent(us) })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()]
      .filter((f) => f.part !== "idle")
      .map((f) => ({ name: f.name, where: f.where, part: f.part, ms: f.us / 1000, percent: percent(f.us) }))
      .sort((a, b) => b.ms - a.ms),
  };
}

/** `leads`: also each part's ms per lead. */
export function formatSummary(summary: ProfileSummary, topFunctions = 25, leads?: number): string {
  const lines = [`busy ${summary.busyMs.toFixed(0)} ms (idle ${summary.idleMs.toFixed(0)} ms not counted); self time by part:`];
  for (const p of summary.parts) {
    const perLead = leads ? `  ${(p.ms / leads).toFixed(2).padStart(6)} ms/lead` : "";
    lines.push(`  ${p.percent.toFixed(1).padStart(5)}%  ${p.ms.toFixed(0).padStart(7)} ms${perLead}  ${p.part}`);
  }
  lines.push(`top ${topFunctions} functions by self time:`);
  for (const f of summary.functions.slice(0, topFunctions)) {
    lines.push(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}  [${f.part}]`);
  }
  return lines.join("\n");
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file] = process.argv.slice(2);
  if (!file) {
    console.error("usage: tsx test/bench/profile-summary.ts FILE.cpuprofile [--from-ns N --to-ns N]");
    process.exit(2);
  }
  const arg = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? Number(BigInt(process.argv[at + 1] ?? "0") / 1000n) : undefined;
  };
  const fromUs = arg("--from-ns");
  const toUs = arg("--to-ns");
  const window = fromUs !== undefined && toUs !== undefined ? { fromUs, toUs } : undefined;
  console.log(formatSummary(summarizeProfile(readProfile(file), window)));
}

/**
 * The real entry point, src/main.ts, in its own Node process: for tests that stop, kill (SIGKILL) and
 * restart the bot, or watch it refuse to start. It runs the sources through tsx (the same code `npm
 * start` runs compiled, without a build step); `npmStart` runs README's `npm start` itself. Its JSON log
 * lines (stdout) and stderr are collected.
 *
 * The process gets only the environment given (plus PATH) and runs in an empty working directory, so
 * neither the developer's environment nor a `.env` file in the repository changes what is tested.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TEST_BOT_TOKEN, TEST_CRM_TOKEN } from "./test-app.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MAIN = join(ROOT, "src", "main.ts");
/** tsx's loader by absolute URL: `--import tsx` would resolve it from the working directory. */
const TSX = pathToFileURL(createRequire(join(ROOT, "package.json")).resolve("tsx")).href;

/** A pino line as JSON, or `{ raw }` for anything else the process printed. */
export type LogLine = Record<string, unknown>;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface MainProcess {
  readonly pid: number;
  logs(): LogLine[];
  stderr(): string;
  /** The first log line (already written or still to come) that matches. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<Exit>;
  /** Kills it (SIGKILL) unless it has exited, and removes its working directory. */
  dispose(): Promise<void>;
}

export interface MainProcessOptions {
  env: Record<string, string>;
  /** Run as another user (tests as root need one that chmod can stop). */
  uid?: number;
  gid?: number;
  /**
   * `npm start` in the repository (after `npm run build`), in a process group of its own as a terminal
   * starts it. npm runs it in the repository, so every setting .env.example names is passed (blank
   * unless given): a developer's .env there changes nothing.
   */
  npmStart?: boolean;
}

export function startMainProcess(options: MainProcessOptions): MainProcess {
  const cwd = mkdtempSync(join(tmpdir(), "lead-bot-cwd-"));
  if (options.uid !== undefined) chmodSync(cwd, 0o755);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env };
  const child = options.npmStart
    ? spawn("npm", ["start"], { cwd: ROOT, env: { ...blankSettings(), ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true })
    : spawn(process.execPath, ["--import", TSX, MAIN], {
        cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
      });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const text of complete) {
      if (text.trim() === "") continue;
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        lines.push({ raw: text });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let alive = true;
  const exited = new Promise<Exit>((resolve) =>
    child.on("exit", (code, signal) => {
      alive = false;
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );

  return {
    pid: child.pid ?? -1,
    logs: () => [...lines],
    stderr: () => stderr,
    exited,
    kill: (signal) => void child.kill(signal),
    waitForLog(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (found) {
            done();
            resolve(found);
          } else if (!alive) {
            done();
            reject(new Error(`the bot process exited before the awaited log line; stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async dispose() {
      if (alive) child.kill("SIGKILL");
      // npm's group: whatever it started and left behind goes too.
      if (options.npmStart && child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // nobody left in the group
        }
      }
      await exited;
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/**
 * The environment of a bot process talking to the given servers on `dataDir`, with the test tokens; the
 * tests that start src/main.ts differ only in `overrides`.
 */
export function botProcessEnv(
  servers: { telegramApiRoot: string; brainysoftUrl: string; dataDir: string },
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: servers.telegramApiRoot,
    BRAINYSOFT_URL: servers.brainysoftUrl,
    BRAINYSOFT_TOKEN: TEST_CRM_TOKEN,
    DATA_DIR: servers.dataDir,
    PORT: "0",
    LOG_LEVEL: "info",
    ...overrides,
  };
}

/** Every setting .env.example names, blank: a .env file in the repository then sets none of them. */
function blankSettings(): Record<string, string> {
  const example = readFileSync(join(ROOT, ".env.example"), "utf8");
  return Object.fromEntries([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => [match[1], ""]));
}

/** The pids of every process below `pid` (children, grandchildren...), from /proc. */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const parent = statOf(Number(entry))?.ppid;
    if (parent !== undefined) parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** Whether the process runs (a zombie, ended and not yet reaped, does not). */
export function isRunning(pid: number): boolean {
  const state = statOf(pid)?.state;
  return state !== undefined && state !== "Z" && state !== "X";
}

/** The command line of a process, or "" once it is gone. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

function statOf(pid: number): { state: string; ppid: number } | undefined {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const [state = "", ppid = ""] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

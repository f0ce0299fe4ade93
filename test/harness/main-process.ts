/**
 * The real entry point, src/main.ts, in its own Node process, as `npm start` runs it: for tests that
 * stop, kill (SIGKILL) and restart the bot, or watch it refuse to start. Its JSON log lines (stdout) and
 * stderr are collected.
 *
 * The process gets only the environment given (plus PATH) and runs in an empty working directory, so
 * neither the developer's environment nor a `.env` file in the repository changes what is tested.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
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
}

export function startMainProcess(options: MainProcessOptions): MainProcess {
  const cwd = mkdtempSync(join(tmpdir(), "lead-bot-cwd-"));
  if (options.uid !== undefined) chmodSync(cwd, 0o755);
  const child = spawn(process.execPath, ["--import", TSX, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
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

/**
 * A bot under measurement, as its own Node process in an empty working directory with only the given
 * environment (plus PATH), so neither the developer's environment nor a `.env` file changes what is
 * measured. Its output is kept for the report: with LOG_LEVEL=warn every line is worth a look.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeTelegram } from "../../src/fakes/fake-telegram.js";
import type { Command } from "./bot-command.js";

export interface BotProcess {
  readonly pid: number;
  /** Lines the process printed (stdout and stderr), the last 200. */
  output(): string[];
  /** Lines printed so far, all of them counted. */
  lineCount(): number;
  alive(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startBotProcess(command: Command, env: Record<string, string>): BotProcess {
  const cwd = mkdtempSync(join(tmpdir(), "lead-bot-bench-cwd-"));
  const child = spawn(command.file, command.args, {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command.shown}`);
  const lines: string[] = [];
  let count = 0;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      count++;
      lines.push(line.length > 500 ? `${line.slice(0, 500)}...` : line);
      if (lines.length > 200) lines.shift();
    }
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let alive = true;
  // A bench that ends early (an error, Ctrl-C) must not leave the bot polling a fake that is gone.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      alive = false;
      process.off("exit", killOnExit);
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  return {
    pid: child.pid,
    output: () => [...lines],
    lineCount: () => count,
    alive: () => alive,
    async stop(graceMs = 30_000) {
      if (alive) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Resolves when the bot first asks the fake Telegram for updates: it is then taking them. */
export async function waitUntilPolling(telegram: FakeTelegram, bot: BotProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!telegram.calls.some((call) => call.method === "getUpdates")) {
    if (!bot.alive()) throw new Error(`the bot exited before polling:\n${bot.output().join("\n")}`);
    if (Date.now() > deadline) throw new Error(`the bot did not poll within ${timeoutMs} ms:\n${bot.output().join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

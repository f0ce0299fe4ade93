import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const started: { child: ChildProcess; tmp: string }[] = [];

afterEach(() => {
  // A failed test must not leave a sandbox running: kill what is left of its process group.
  for (const { child, tmp } of started.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * Starts the command in a process group of its own, as a terminal does, with a temporary directory of
 * its own (so its data directory can be found). Resolves with the address it printed.
 */
async function startDemo(command: string, args: string[]) {
  const tmp = mkdtempSync(join(tmpdir(), "demo-process-"));
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, DEMO_PORT: "0", TMPDIR: tmp, LOG_LEVEL: "warn" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push({ child, tmp });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  await expect
    .poll(() => /Open (http:\/\/127\.0\.0\.1:\d+\/)/.test(stdout) || child.exitCode !== null, { timeout: 45_000, interval: 100 })
    .toBe(true);
  const url = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1];
  if (!url) throw new Error(`the demo printed no address\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  return { child, url, exited, tmp, output: () => ({ stdout, stderr }) };
}

const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};
const demoDataDirs = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith("lead-bot-demo-"));

async function expectServing(url: string): Promise<void> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  expect(await page.text()).toContain('id="personas"');
  const info = (await (await fetch(new URL("demo/info", url))).json()) as { personas: unknown[] };
  expect(info.personas).toHaveLength(4);
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
async function expectCleanStop(
  demo: Awaited<ReturnType<typeof startDemo>>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.kill(-demo.child.pid!, "SIGINT");
  const exit = await demo.exited;
  await expect.poll(() => groupAlive(demo.child.pid!), { timeout: 10_000 }).toBe(false);
  await expect(fetch(demo.url)).rejects.toThrow();
  expect(demo.output().stdout).toContain("Stopping the sandbox");
  // Its temporary data went with it: proof that it stopped by itself rather than being cut off.
  expect(demoDataDirs(demo.tmp)).toEqual([]);
  return exit;
}

describe("npm run demo", () => {
  it("answers on the address it prints, and Ctrl-C leaves no process and no data behind", async () => {
    const demo = await startDemo("npm", ["run", "demo"]);
    await expectServing(demo.url);
    expect(demoDataDirs(demo.tmp)).toHaveLength(1);
    const exit = await expectCleanStop(demo);
    // npm re-raises the signal it was stopped with, so its own exit is "killed by SIGINT" or 0.
    expect(exit.code === 0 || exit.signal === "SIGINT").toBe(true);
  }, 90_000);

  it("exits with code 0 on Ctrl-C (the demo process itself, without npm)", async () => {
    const demo = await startDemo(process.execPath, ["--import", "tsx", "src/demo/main.ts"]);
    await expectServing(demo.url);
    const exit = await expectCleanStop(demo);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 90_000);
});

/**
 * How the bench starts the bots: the lead bot as `npm start` runs it but without npm in between, so that
 * the pid the bench measures is the bot's own Node process (npm, and the `tsx` command line too, would
 * each be a parent process around it); the plain reference bot the same way (through tsx when the lead
 * bot runs through tsx, compiled when it runs compiled), so that neither carries a loader the other has not.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";

export interface Command {
  /** The program (an absolute path for node) and its arguments. */
  file: string;
  args: string[];
  /** How it reads, for the report. */
  shown: string;
}

/** package.json's "start" script. */
export function startScript(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.start;
  if (!script) throw new Error("package.json has no start script; pass --cmd");
  return script;
}

const tsxUrl = (root: string) => pathToFileURL(createRequire(join(root, "package.json")).resolve("tsx")).href;

/**
 * Turns a start script into a direct Node command: `tsx X` becomes `node --import tsx X` (what the tsx
 * command line does in a child process), `exec node ...` and `node ...` stay; tsx's loader and file
 * arguments are resolved from the repository, so the process may run in an empty working directory.
 * Of `build && node dist/x.js` only the last command is taken (see ensureBuilt).
 */
export function directCommand(script: string, root: string): Command {
  const last = script.split("&&").at(-1)?.trim() ?? "";
  // `exec node ...` (the shell replaces itself with node, so signals reach the bot) is the same command here.
  const words = last.split(/\s+/).filter((w) => w !== "" && w !== "exec");
  const [program, ...rest] = words;
  let args: string[];
  if (program === "tsx") args = ["--import", "tsx", ...rest];
  else if (program === "node") args = rest;
  else throw new Error(`cannot run the start script "${script}" without npm: it must start with node or tsx; pass --cmd`);
  const resolved = args.map((arg, i) => {
    if (arg === "tsx" && (args[i - 1] === "--import" || args[i - 1] === "--loader")) return tsxUrl(root);
    if (arg === "--import=tsx") return `--import=${tsxUrl(root)}`;
    if (arg.startsWith("-") || isAbsolute(arg)) return arg;
    return existsSync(join(root, arg)) || /\.[cm]?[jt]s$/.test(arg) ? join(root, arg) : arg;
  });
  return { file: process.execPath, args: resolved, shown: ["node", ...args].join(" ") };
}

export const runsThroughTsx = (command: Command): boolean => command.args.some((arg) => arg.includes("/node_modules/tsx/"));

/** The lead bot from transpileSources' output: the code `npm start` runs, compiled without npm run build. */
export function transpiledBotCommand(root: string): Command {
  const file = join(transpileSources(root), "src", "main.js");
  return { file: process.execPath, args: [file], shown: `node ${relative(root, file)}` };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * A compiled start script (`node dist/main.js`) needs `npm run build` first, as README says: run it when
 * the file is missing or older than the sources.
 */
export function ensureBuilt(command: Command, root: string, log: (line: string) => void): void {
  const scripts = command.args.filter((arg) => /\.[cm]?js$/.test(arg) && arg.startsWith(root) && !arg.includes("node_modules"));
  const stale = scripts.some((file) => !existsSync(file) || statSync(file).mtimeMs < newestMtime(join(root, "src")));
  if (!stale) return;
  log("building first: npm run build");
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
}

/**
 * The sources as plain JavaScript (TypeScript's per-file transpile, no type check, locale files copied),
 * in the repository's git-ignored test-output/, where the compiled files find the project's packages: for
 * running the reference bot compiled, and for --compiled.
 */
export function transpileSources(root: string): string {
  const out = join(root, "test-output", "bench-compiled");
  const options: ts.CompilerOptions = { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true };
  const files = [
    ...readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).map((f) => join(root, "src", f)),
    join(root, "test", "bench", "reference-bot.ts"),
  ].filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const target = join(out, relative(root, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, ts.transpileModule(readFileSync(file, "utf8"), { compilerOptions: options, fileName: file }).outputText);
  }
  cpSync(join(root, "src", "locales"), join(out, "src", "locales"), { recursive: true });
  // The project is an ES module package: the compiled files need its "type" too.
  writeFileSync(join(out, "package.json"), JSON.stringify({ type: "module" }));
  return out;
}

/** The plain grammY bot, run the way the lead bot is run. */
export function referenceCommand(root: string, botCommand: Command): Command {
  if (runsThroughTsx(botCommand)) {
    return {
      file: process.execPath,
      args: ["--import", tsxUrl(root), join(root, "test", "bench", "reference-bot.ts")],
      shown: "node --import tsx test/bench/reference-bot.ts",
    };
  }
  const file = join(transpileSources(root), "test", "bench", "reference-bot.js");
  return { file: process.execPath, args: [file], shown: `node ${relative(root, file)}` };
}

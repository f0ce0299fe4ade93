import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(REPO, "src");
/** What only the sandbox and the tests may use: the sandbox itself, the fakes, and test code. */
const OFF_LIMITS = ["src/demo/", "src/fakes/", "test/"];

/** The relative modules a file imports (static, re-exported or dynamic), as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1] ?? "");
  return specifiers.map((specifier) => relative(REPO, resolve(dirname(file), specifier.replace(/\.js$/, ".ts"))));
}

const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tsFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );

const offLimits = (path: string) => OFF_LIMITS.some((prefix) => path.startsWith(prefix));

describe("the fakes' boundary", () => {
  it("production code under src/ imports neither the sandbox, nor the fakes, nor tests", () => {
    const production = tsFiles(SRC).filter((file) => !offLimits(relative(REPO, file)));
    expect(production.length).toBeGreaterThan(10);
    const crossings = production.flatMap((file) =>
      importsOf(file)
        .filter(offLimits)
        .map((target) => `${relative(REPO, file)} -> ${target}`),
    );
    expect(crossings).toEqual([]);
  });

  it("what `npm start` loads (src/main.ts and everything it imports) reaches none of them", () => {
    const seen = new Set<string>();
    const queue = ["src/main.ts"];
    for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
      if (seen.has(path)) continue;
      seen.add(path);
      queue.push(...importsOf(join(REPO, path)));
    }
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].filter(offLimits)).toEqual([]);
  });

  it("the production build (tsconfig.build.json, what `npm run build` puts in dist/) compiles none of them", async () => {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.build.json", "--listFilesOnly"], { cwd: REPO });
    const compiled = stdout
      .split("\n")
      .map((line) => relative(REPO, line.trim()))
      .filter((path) => path !== "" && !path.startsWith("..") && !path.startsWith("node_modules/"));
    expect(compiled).toContain("src/main.ts");
    expect(compiled.filter(offLimits)).toEqual([]);
  }, 60_000);
});

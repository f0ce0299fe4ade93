/**
 * Issue 13's rule for src/: no `as` cast (but `as const`) and no `!` non-null assertion without its
 * reason beside it, in a comment on its line or on the line just above. A reason a reader can check
 * keeps a cast from hiding a wrong type; most casts go away with a type guard (src/guards.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** "file:line: as …" for each cast or assertion in `text` with no comment beside it. */
function unexplainedCasts(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split("\n");
  const found: string[] = [];
  const hasComment = (line: string | undefined) => line !== undefined && /\/\/|\/\*/.test(line);
  const visit = (node: ts.Node): void => {
    const isCast = ts.isAsExpression(node) && !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === "const");
    if (isCast || ts.isNonNullExpression(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const own = lines.slice(first, last + 1);
      const above = lines[first - 1]?.trim();
      if (!own.some(hasComment) && !(above?.startsWith("//") || above?.startsWith("*") || above?.startsWith("/*"))) {
        found.push(`${file}:${first + 1}: ${lines[first]?.trim()}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("casts in src/", () => {
  it("finds a cast without a reason, and accepts one with it", () => {
    expect(unexplainedCasts("a.ts", "const n = x as number;\nconst m = y!;\nconst k = [1] as const;")).toHaveLength(2);
    expect(unexplainedCasts("a.ts", "// checked above\nconst n = x as number;\nconst m = y!; // set in start()")).toEqual([]);
  });

  it("has none without a reason beside it", () => {
    const files = sourcesUnder(join(ROOT, "src"));
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((file) => unexplainedCasts(relative(ROOT, file), readFileSync(file, "utf8")));
    expect(found).toEqual([]);
  });
});

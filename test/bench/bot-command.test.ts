/** The bench starts the bot as package.json's start script does, without npm: the script's forms. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { directCommand, runsThroughTsx, startScript } from "./bot-command.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the start script as a direct node command", () => {
  it("runs `tsx X` as node with tsx's loader, resolved from the repository", () => {
    const command = directCommand("tsx src/main.ts", ROOT);
    expect(command.file).toBe(process.execPath);
    expect(command.args[0]).toBe("--import");
    expect(command.args[1]).toMatch(/^file:.*\/node_modules\/tsx\//);
    expect(command.args[2]).toBe(join(ROOT, "src", "main.ts"));
    expect(runsThroughTsx(command)).toBe(true);
  });

  it("runs `exec node dist/main.js` (after a build step) as node on the compiled file", () => {
    const command = directCommand("npm run build && exec node dist/main.js", ROOT);
    expect(command.args).toEqual([join(ROOT, "dist", "main.js")]);
    expect(runsThroughTsx(command)).toBe(false);
  });

  it("keeps node's own options", () => {
    expect(directCommand("node --import tsx src/main.ts", ROOT).args.slice(2)).toEqual([join(ROOT, "src", "main.ts")]);
    expect(directCommand("node --enable-source-maps dist/main.js", ROOT).args).toEqual([
      "--enable-source-maps",
      join(ROOT, "dist", "main.js"),
    ]);
  });

  it("takes this repository's start script", () => {
    expect(directCommand(startScript(ROOT), ROOT).args.some((arg) => arg.endsWith("main.ts") || arg.endsWith("main.js"))).toBe(true);
  });

  it("refuses a script it cannot run without npm", () => {
    expect(() => directCommand("npx something", ROOT)).toThrow(/--cmd/);
  });
});

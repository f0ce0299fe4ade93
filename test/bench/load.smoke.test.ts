/**
 * The load bench at a size that fits in `npm test` (20 customers, 10 at a time), so that it cannot rot:
 * both bots start as processes, every customer's lead reaches the mock Brainysoft once, every customer is
 * told its number, and the report has numbers. No timing is asserted: the machine is shared.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { directCommand, referenceCommand, runsThroughTsx, startScript, transpiledBotCommand } from "./bot-command.js";
import { formatRatios, formatTable, measureTarget, type TargetReport } from "./load.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/**
 * The start script itself when it runs the sources; a compiled one would need `npm run build`, which
 * must not run in parallel with other test files: the same sources, transpiled, instead.
 */
function leadBotCommand() {
  const command = directCommand(startScript(ROOT), ROOT);
  return runsThroughTsx(command) ? command : transpiledBotCommand(ROOT);
}
const LOAD = { count: 20, concurrency: 10, answerTimeoutMs: 60_000 };

function expectMeasured(report: TargetReport): void {
  expect(report.failures).toEqual([]);
  expect(report.crmReceived).toBe(LOAD.count);
  expect(report.crmPhones).toBe(LOAD.count);
  for (const value of [report.cpuMsPerLead, report.leadsPerSecond, report.p50Ms, report.p99Ms, report.peakRssMiB, report.startupMs]) {
    expect(value).toBeGreaterThan(0);
  }
  expect(report.steps.map((s) => s.name)).toEqual(["/start", "name", "contact"]);
}

describe("the load bench, 20 customers", () => {
  it("drives the lead bot, started as npm start starts it, and the plain grammY bot, and compares them", async () => {
    const command = leadBotCommand();
    const bot = await measureTarget({ name: "lead bot", command }, LOAD);
    expectMeasured(bot);
    const plain = await measureTarget({ name: "plain grammY", command: referenceCommand(ROOT, command) }, LOAD);
    expectMeasured(plain);
    expect(formatTable([bot, plain])).toContain("| plain grammY");
    expect(formatRatios(bot, plain)).toContain("CPU per lead");
  }, 180_000);
});

import { describe, expect, it } from "vitest";
import { parseLoadArgs, rotate } from "./load-cli.js";
import { formatMedianRatios, type TargetReport } from "./load.js";

describe("the load bench's options", () => {
  it("takes a second lead bot to run against in every round", () => {
    const args = parseLoadArgs(["--only", "load", "--against", "node /tmp/before/dist/main.js", "--rounds", "3"]);
    expect(args).toMatchObject({ against: "node /tmp/before/dist/main.js", rounds: 3 });
    expect(parseLoadArgs([]).against).toBeUndefined();
    expect(() => parseLoadArgs(["--against"])).toThrow("--against needs a value");
  });

  it("starts each round with the next bot, so none is always measured first", () => {
    const bots = ["lead bot", "against", "plain"];
    expect([0, 1, 2, 3].map((round) => rotate(bots, round)[0])).toEqual(["lead bot", "against", "plain", "lead bot"]);
    expect(rotate(bots, 1)).toEqual(["against", "plain", "lead bot"]);
    expect(rotate([], 2)).toEqual([]);
  });
});

describe("the load bench's summary of several rounds", () => {
  // Only the figures compared are read; the rest of a report does not matter here.
  const report = (name: string, cpuMsPerLead: number, p99Ms: number) =>
    ({ name, cpuMsPerLead, p99Ms, p50Ms: 100, peakRssMiB: 150, leadsPerSecond: 300 }) as TargetReport;

  it("gives each ratio's median over the rounds, with the lowest and the highest", () => {
    const rounds: [TargetReport, TargetReport][] = [
      [report("lead bot", 4.4, 600), report("plain grammY", 4, 500)],
      [report("lead bot", 4.0, 450), report("plain grammY", 4, 500)],
      [report("lead bot", 3.6, 400), report("plain grammY", 4, 500)],
      [report("lead bot", 4.8, 500), report("plain grammY", 4, 500)],
    ];
    expect(formatMedianRatios(rounds)).toBe(
      "lead bot / plain grammY, median of 4 rounds:  CPU per lead 1.05x (0.90-1.20)  p99 0.95x (0.80-1.20)  p50 1.00x (1.00-1.00)  peak RSS 1.00x (1.00-1.00)  leads/s 1.00x (1.00-1.00)",
    );
    expect(formatMedianRatios([])).toBe("");
  });
});

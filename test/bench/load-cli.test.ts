import { describe, expect, it } from "vitest";
import { parseLoadArgs, rotate } from "./load-cli.js";

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

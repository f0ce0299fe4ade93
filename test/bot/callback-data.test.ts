import { describe, expect, it } from "vitest";
import { callbackData, digits, type Field } from "../../src/bot/callback-data.js";

const colour: Field<"red" | "blue"> = {
  pattern: "r|b",
  write: (value) => (value === "red" ? "r" : "b"),
  read: (text) => (text === "r" ? "red" : "blue"),
};
const page = callbackData("items", { index: digits(4), colour });

describe("typed callback data", () => {
  it("writes a button's data and reads the same values back", () => {
    const data = page.pack({ index: 12, colour: "blue" });
    expect(data).toBe("items:12:b");
    expect(page.unpack(data)).toEqual({ index: 12, colour: "blue" });
    expect(page.filter.test(data)).toBe(true);
  });

  it("refuses data it did not write: other prefixes, a tail, signs, decimals, too many digits", () => {
    for (const forged of [
      "items:12",
      "items:12:b:x",
      "items:-1:b",
      "items:1.5:b",
      "items:1e3:b",
      "items:12345:b",
      "itemsX:1:b",
      "xitems:1:b",
    ]) {
      expect(page.unpack(forged), forged).toBeUndefined();
      expect(page.filter.test(forged), forged).toBe(false);
    }
  });

  it("reads the values of a match of its filter, as grammY hands it to the handler", () => {
    const match = page.filter.exec("items:7:r");
    expect(match && page.read(match)).toEqual({ index: 7, colour: "red" });
    expect(page.read("items:8:b")).toEqual({ index: 8, colour: "blue" });
    expect(() => page.read("items:x:b")).toThrow(/not items data/);
  });

  it("a definition without fields is its prefix, literally", () => {
    const open = callbackData("retry:all", {});
    expect(open.pack({})).toBe("retry:all");
    expect(open.unpack("retry:all")).toEqual({});
    expect(open.filter.test("retry-all")).toBe(false);
  });

  it("will not write data outside its own bounds or over Telegram's 64 bytes", () => {
    expect(() => page.pack({ index: 12_345, colour: "red" })).toThrow(/out of its bounds/);
    const long = callbackData("x".repeat(60), { index: digits(8) });
    expect(() => long.pack({ index: 12_345_678 })).toThrow(/out of its bounds/);
  });
});

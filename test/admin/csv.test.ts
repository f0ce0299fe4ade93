import { describe, expect, it } from "vitest";
import { csvCell, toCsv } from "../../src/admin/csv.js";
import { parseCsv } from "./helpers.js";

describe("CSV for spreadsheets", () => {
  it("quotes cells with commas, quotes and line breaks", () => {
    expect(csvCell('Анна "Ann", 2')).toBe('"Анна ""Ann"", 2"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(42)).toBe("42");
  });

  it("turns anything a spreadsheet would run as a formula into text", () => {
    for (const formula of ["=1+2", "+7 977", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]) expect(csvCell(formula).replace(/^"/, "")).toMatch(/^'/);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell("Анна=1")).toBe("Анна=1");
  });

  it("round-trips through a CSV reader, with a BOM and CRLF lines", () => {
    const rows = [
      ["a", "b,c"],
      ['say "hi"', "=x"],
    ];
    const text = toCsv(rows);
    expect(text.startsWith("\uFEFF")).toBe(true);
    expect(text.endsWith("\r\n")).toBe(true);
    expect(parseCsv(text)).toEqual([
      ["a", "b,c"],
      ['say "hi"', "'=x"],
    ]);
  });
});

import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CHART_COLOURS, chartLayout, renderLeadsChart } from "../../src/admin/chart.js";
import { crc32, encodePng } from "../../src/admin/png.js";
import { decodePng } from "./helpers.js";

describe("PNG encoder", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
  });

  it("writes pixels that decode back, with valid chunk checksums", () => {
    const pixels = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const png = encodePng(2, 2, pixels);
    const decoded = decodePng(png);
    expect([decoded.pixel(0, 0), decoded.pixel(1, 0), decoded.pixel(0, 1), decoded.pixel(1, 1)]).toEqual([
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [10, 20, 30],
    ]);
    // Every chunk's CRC covers its type and data.
    for (let offset = 8; offset < png.length; ) {
      const length = png.readUInt32BE(offset);
      expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
      offset += 12 + length;
    }
    expect(inflateSync(png.subarray(41, 41 + png.readUInt32BE(33))).length).toBe(2 * (1 + 2 * 3));
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow(/expected 12 bytes/);
  });
});

describe("leads chart", () => {
  it("draws nothing but the axis and zeros for an empty week", () => {
    const png = decodePng(renderLeadsChart(Array.from({ length: 7 }, () => ({ label: "01.01", delivered: 0, waiting: 0, failed: 0 }))));
    const layout = chartLayout(7);
    expect(png.pixel(layout.barLeft(3) + 5, layout.plotBottom - 1)).toEqual([...CHART_COLOURS.background]);
    expect(png.pixel(layout.barLeft(3) + 5, layout.plotBottom)).toEqual([...CHART_COLOURS.axis]);
  });
});

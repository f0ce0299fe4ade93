/**
 * Leads per day as a stacked bar chart in a PNG: delivered (green), waiting (amber), failed or
 * rejected (red), the day's total above each bar and its date below, in a 5x7 bitmap font. The
 * labels that need words (the legend) go in the photo's caption, so no text rendering is needed.
 */
import { encodePng } from "./png.js";

export interface ChartDay {
  /** "05.03": digits and dots only (the font has nothing else). */
  label: string;
  delivered: number;
  waiting: number;
  failed: number;
}

type Rgb = readonly [number, number, number];
export const CHART_COLOURS = {
  background: [255, 255, 255],
  axis: [160, 160, 160],
  text: [60, 60, 60],
  delivered: [46, 158, 91],
  waiting: [240, 160, 32],
  failed: [217, 83, 79],
} as const satisfies Record<string, Rgb>;

const FONT: Record<string, readonly string[]> = {
  "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
  "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
  "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
  "3": ["11111", "00010", "00100", "00010", "00001", "10001", "01110"],
  "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
  "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
  "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
  "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
  "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
  "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
  ".": ["00000", "00000", "00000", "00000", "00000", "01100", "01100"],
};

/** Totals are drawn at 3x (15x21 pixels a digit), dates at 2x so that "05.03" fits under its bar. */
const TOTAL_SCALE = 3;
const LABEL_SCALE = 2;

/** Where things are, so that a test can measure the bars it decodes. */
export function chartLayout(days: number) {
  const barWidth = 48;
  const gap = 28;
  const left = 24;
  const plotTop = 16 + 7 * TOTAL_SCALE + 8;
  const plotHeight = 240;
  const plotBottom = plotTop + plotHeight; // first row below the bars: the axis
  return {
    width: left * 2 + days * barWidth + (days - 1) * gap,
    height: plotBottom + 2 + 10 + 7 * LABEL_SCALE + 12,
    barWidth,
    plotHeight,
    plotBottom,
    barLeft: (i: number) => left + i * (barWidth + gap),
  };
}

export function renderLeadsChart(days: readonly ChartDay[]): Buffer {
  const layout = chartLayout(days.length);
  const { width, height } = layout;
  const pixels = new Uint8Array(width * height * 3);
  const fill = (x0: number, y0: number, w: number, h: number, c: Rgb) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) pixels.set(c, (y * width + x) * 3);
    }
  };
  const text = (s: string, centreX: number, top: number, scale: number) => {
    const glyphs = [...s].flatMap((ch) => {
      const glyph = FONT[ch];
      return glyph ? [glyph] : [];
    });
    const advance = 6 * scale; // 5 columns and one of space
    let x = Math.round(centreX - (glyphs.length * advance - scale) / 2);
    for (const glyph of glyphs) {
      glyph.forEach((row, gy) => {
        [...row].forEach((bit, gx) => {
          if (bit === "1") fill(x + gx * scale, top + gy * scale, scale, scale, CHART_COLOURS.text);
        });
      });
      x += advance;
    }
  };

  fill(0, 0, width, height, CHART_COLOURS.background);
  fill(0, layout.plotBottom, width, 2, CHART_COLOURS.axis);
  const max = Math.max(1, ...days.map((d) => d.delivered + d.waiting + d.failed));
  const scaled = (n: number) => Math.round((n / max) * layout.plotHeight);
  days.forEach((day, i) => {
    const x = layout.barLeft(i);
    let y = layout.plotBottom;
    // Bottom up: delivered, waiting, failed. Each segment's height is rounded from the running total,
    // so the stack's height is exactly the total's.
    let below = 0;
    for (const [value, colour] of [
      [day.delivered, CHART_COLOURS.delivered],
      [day.waiting, CHART_COLOURS.waiting],
      [day.failed, CHART_COLOURS.failed],
    ] as const) {
      const h = scaled(below + value) - scaled(below);
      below += value;
      fill(x, y - h, layout.barWidth, h, colour);
      y -= h;
    }
    const centre = x + layout.barWidth / 2;
    text(String(day.delivered + day.waiting + day.failed), centre, y - 7 * TOTAL_SCALE - 6, TOTAL_SCALE);
    text(day.label, centre, layout.plotBottom + 12, LABEL_SCALE);
  });
  return encodePng(width, height, pixels);
}

import { describe, expect, it } from "vitest";
import { ellipsize, MESSAGE_TEXT_LIMIT, pageOf, visibleLength } from "../../src/admin/pages.js";
import { escapeHtml } from "../../src/html.js";
import { parseTelegramHtml } from "../../src/fakes/fake-telegram-html.js";

describe("Telegram's limits in the admin views", () => {
  it("counts HTML as Telegram does: tags nothing, a reference one, an emoji two", () => {
    const html = `<b>${escapeHtml('a < b & "c"')}</b> <i>📊</i> <code>x</code>`;
    expect(visibleLength(html)).toBe(parseTelegramHtml(html).text.length);
    expect(visibleLength(html)).toBe(16);
  });

  it("cuts with an ellipsis within the length, never halving an emoji", () => {
    expect(ellipsize("spring_promo", 20)).toBe("spring_promo");
    expect(ellipsize("spring_promo_for_returning", 10)).toBe("spring_pr…");
    expect(ellipsize("ab📊cd", 4)).toBe("ab…");
    expect(ellipsize("ab📊cd", 5)).toBe("ab📊…");
  });

  it("pages fit the limit with their frame, hold at most perPage blocks, and are the same whichever is asked for", () => {
    const blocks = Array.from({ length: 50 }, (_, i) => `<b>#${i}</b> ${"x".repeat(i % 2 ? 300 : 900)}`);
    const options = { perPage: 10, frame: 200, render: (b: string) => b };
    const first = pageOf(blocks, 0, options);
    const pages = Array.from({ length: first.pages }, (_, i) => pageOf(blocks, i, options));
    expect(pages.flatMap((p) => p.items)).toEqual(blocks);
    for (const page of pages) {
      expect(page.items.length).toBeLessThanOrEqual(10);
      expect(visibleLength(page.items.join("\n\n")) + 200).toBeLessThanOrEqual(MESSAGE_TEXT_LIMIT);
    }
    expect(pageOf(blocks, 999, options).index).toBe(first.pages - 1);
    expect(pageOf(blocks, -1, options).index).toBe(0);
    expect(pageOf([], 3, options)).toEqual({ items: [], index: 0, pages: 1 });
  });
});

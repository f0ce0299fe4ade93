import { describe, expect, it } from "vitest";
import { formatDuration, formatLocalTime, sourceKey, sourceLabel, startOfDay } from "../../src/admin/format.js";
import { crmCallDetail, scrubDetail } from "../../src/admin/journal.js";
import { percentile } from "../../src/admin/stats.js";
import { createTranslate } from "../../src/i18n.js";

const t = (locale: string) => {
  const translate = createTranslate("en");
  return (key: string, vars?: Record<string, string | number>) => translate(locale, key, vars);
};

describe("admin formatting", () => {
  it("durations in at most two units", () => {
    const en = t("en");
    expect(formatDuration(45_000, en)).toBe("45 s");
    expect(formatDuration(12 * 60_000 + 5_000, en)).toBe("12 min");
    expect(formatDuration(2 * 3_600_000, en)).toBe("2 h");
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000, en)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 59_000, en)).toBe("3 d 4 h");
    expect(formatDuration(-5, en)).toBe("0 s");
    expect(formatDuration(90 * 60_000, t("ru"))).toBe("1 ч 30 мин");
  });

  it("where a lead came from", () => {
    const en = t("en");
    expect(sourceLabel({ actor: "customer", source: "direct" }, en)).toBe("customer");
    expect(sourceLabel({ actor: "customer", source: "spring_promo" }, en)).toBe("link spring_promo");
    expect(sourceLabel({ actor: "agent", agentId: 42, source: "agent:42" }, en)).toBe("agent 42");
    // The key groups by the same rule: "customer" is a customer by themselves, whatever the source says.
    expect(sourceKey({ actor: "customer", source: "direct" })).toBe(sourceKey({ actor: "customer", source: "customer" }));
    expect(sourceKey({ actor: "customer", source: "spring_promo" })).toBe("link:spring_promo");
    expect(sourceKey({ actor: "agent", agentId: 42, source: "agent:42" })).toBe("agent:42");
  });

  it("local times by a pattern", () => {
    const at = new Date(2025, 2, 5, 14, 7, 9).getTime();
    expect(formatLocalTime(at, "DD.MM hh:mm")).toBe("05.03 14:07");
    expect(formatLocalTime(at, "YYYY-MM-DD hh:mm:ss")).toBe("2025-03-05 14:07:09");
    expect(formatLocalTime(at, "DD.MM")).toBe("05.03");
  });

  it("local midnights", () => {
    const at = new Date(2025, 2, 5, 14, 7).getTime();
    expect(startOfDay(at)).toBe(new Date(2025, 2, 5).getTime());
    expect(startOfDay(at, 6)).toBe(new Date(2025, 1, 27).getTime());
  });

  it("Brainysoft call records say the call in one line, and errors lose long digit runs", () => {
    const detail = crmCallDetail({ kind: "transient", status: 503, latencyMs: 1520, detail: "HTTP 503 non-JSON body" });
    expect(detail).toBe("transient 503 1520ms HTTP 503 non-JSON body");
    expect(crmCallDetail({ kind: "transient", latencyMs: 7, detail: "timeout after 2000ms" })).toBe("transient - 7ms timeout after 2000ms");
    expect(scrubDetail("Bad Request: +7 (977) 620-07-77 and chat 12345")).toBe("Bad Request: [digits] and chat 12345");
    expect(scrubDetail("x".repeat(400))).toHaveLength(300);
  });

  it("nearest-rank percentiles", () => {
    expect(percentile([100, 200, 300, 400], 0.5)).toBe(200);
    expect(percentile([100, 200, 300, 400], 0.95)).toBe(400);
    expect(percentile([5], 0.95)).toBe(5);
    expect(percentile([], 0.5)).toBe(0);
  });
});

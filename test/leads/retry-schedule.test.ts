import { describe, expect, it } from "vitest";
import { createRetrySchedule } from "../../src/leads/retry-schedule.js";

function scheduleAt(wall: number, random = 0.5) {
  const clocks = { wall, mono: 1_000 };
  const schedule = createRetrySchedule({
    now: () => clocks.wall,
    clock: () => clocks.mono,
    random: () => random,
    baseDelayMs: 2_000,
    maxDelayMs: 60_000,
  });
  return { schedule, clocks };
}

describe("the retry schedule", () => {
  it("doubles from the base up to the cap, with jitter between half and all of the delay", () => {
    const slowest = scheduleAt(10_000, 1).schedule;
    expect([1, 2, 3, 6, 7, 20].map((n) => slowest.nextAttemptAt(n) - 10_000)).toEqual([2_000, 4_000, 8_000, 60_000, 60_000, 60_000]);
    const fastest = scheduleAt(10_000, 0).schedule;
    expect(fastest.nextAttemptAt(1) - 10_000).toBe(1_000);
    expect(fastest.horizonMs).toBe(120_000);
  });

  it("follows the monotonic clock, so a wall clock set forward or back moves nothing", () => {
    const { schedule, clocks } = scheduleAt(1_700_000_000_000);
    clocks.wall += 3_600_000;
    clocks.mono += 5_000;
    expect(schedule.now()).toBe(1_700_000_005_000);
    clocks.wall -= 7_200_000;
    expect(schedule.nextAttemptAt(1)).toBe(1_700_000_005_000 + 1_500);
  });
});

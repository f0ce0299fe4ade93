import { describe, expect, it } from "vitest";
import { createInFlight } from "../../src/runtime/in-flight.js";

describe("updates in flight", () => {
  it("tracks the lowest unfinished update and resolves idle when all are done", async () => {
    const inFlight = createInFlight();
    expect(await inFlight.idle(0)).toBe(true);
    inFlight.add(12);
    inFlight.add(10);
    inFlight.add(10);
    expect(inFlight.size).toBe(3);
    expect(inFlight.lowest()).toBe(10);
    expect(await inFlight.idle(10)).toBe(false);
    const idle = inFlight.idle(10_000);
    inFlight.done(10);
    expect(inFlight.lowest()).toBe(10);
    inFlight.done(10);
    expect(inFlight.lowest()).toBe(12);
    inFlight.done(12);
    expect(await idle).toBe(true);
    expect(inFlight.lowest()).toBeUndefined();
    inFlight.done(99);
    expect(inFlight.size).toBe(0);
  });
});

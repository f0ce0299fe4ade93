import { describe, expect, it } from "vitest";
import { combineListeners } from "../../src/leads/outbox-events.js";
import type { LeadRecord } from "../../src/store/types.js";

const lead = { id: 1 } as LeadRecord;

describe("combineListeners", () => {
  it("tells every listener in order and only defines the hooks someone has", async () => {
    const heard: string[] = [];
    const combined = combineListeners(
      { delivered: async (l, id) => void heard.push(`a delivered ${l.id} ${id}`) },
      { delivered: (l) => void heard.push(`b delivered ${l.id}`), received: () => void heard.push("b received") },
    );
    await combined.delivered!(lead, 9);
    await combined.received!(lead);
    expect(heard).toEqual(["a delivered 1 9", "b delivered 1", "b received"]);
    expect(combined.gaveUp).toBeUndefined();
  });

  it("an error stops the chain and reaches the caller", async () => {
    const heard: string[] = [];
    const combined = combineListeners(
      { gaveUp: () => Promise.reject(new Error("Telegram is down")) },
      { gaveUp: () => void heard.push("second") },
    );
    await expect(combined.gaveUp!(lead, "failed")).rejects.toThrow("Telegram is down");
    expect(heard).toEqual([]);
  });
});

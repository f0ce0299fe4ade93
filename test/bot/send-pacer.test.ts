import { describe, expect, it } from "vitest";
import { createSendPacer } from "../../src/bot/send-pacer.js";

/** A pacer on a clock that stands still: each wait returns the time its message would go out. */
function pacerAt(start: number, options: { perSecond?: number; perChatIntervalMs?: number } = {}) {
  let lastSleep = 0;
  const pacer = createSendPacer({
    ...options,
    now: () => start,
    sleep: async (ms) => {
      lastSleep = ms;
    },
  });
  return async (chatId: number) => {
    lastSleep = 0;
    await pacer.wait(chatId);
    return start + lastSleep;
  };
}

describe("the send pacer", () => {
  it("spaces messages across chats at the broadcast rate", async () => {
    const slot = pacerAt(0, { perSecond: 25 });
    const times = [];
    for (let chat = 1; chat <= 30; chat++) times.push(await slot(chat));
    expect(times.slice(0, 4)).toEqual([0, 40, 80, 120]);
    // Any one second holds at most 25 of them.
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(25);
  });

  it("keeps a second between messages to one chat, without holding up the others", async () => {
    const slot = pacerAt(0, { perSecond: 25, perChatIntervalMs: 1000 });
    expect(await slot(1)).toBe(0);
    expect(await slot(1)).toBe(1000);
    expect(await slot(1)).toBe(2000);
    // Other chats fill the gaps in between.
    expect(await slot(2)).toBe(40);
    expect(await slot(3)).toBe(80);
  });
});

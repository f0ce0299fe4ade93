/**
 * Paces messages the bot sends on its own (delayed confirmations after an outage, many at once) under
 * Telegram's limits: about 30 messages a second to different chats, about one a second per chat.
 * Replies to a person's message need none of this: they come at the person's pace.
 */
export interface SendPacer {
  /** Resolves when a message to this chat may go out; each call reserves one slot. */
  wait(chatId: number): Promise<void>;
}

export interface SendPacerOptions {
  /** Messages a second across all chats (default 25: a margin under Telegram's 30). */
  perSecond?: number;
  /** Least time between two messages to one chat (default 1000 ms). */
  perChatIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSendPacer(options: SendPacerOptions = {}): SendPacer {
  const spacing = 1000 / (options.perSecond ?? 25);
  const perChat = options.perChatIntervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  /** Reserved send times, ascending; older ones are dropped as they stop mattering. */
  let slots: number[] = [];
  const chatReady = new Map<number, number>();

  /** The earliest time from `earliest` at least `spacing` away from every reserved slot. */
  function reserve(earliest: number, t0: number): number {
    slots = slots.filter((s) => s > t0 - spacing);
    let t = earliest;
    for (const s of slots) if (Math.abs(s - t) < spacing) t = s + spacing;
    const at = slots.findIndex((s) => s > t);
    slots.splice(at < 0 ? slots.length : at, 0, t);
    return t;
  }

  return {
    async wait(chatId) {
      const t0 = now();
      if (chatReady.size > 1000) for (const [chat, ready] of chatReady) if (ready <= t0) chatReady.delete(chat);
      const slot = reserve(Math.max(t0, chatReady.get(chatId) ?? t0), t0);
      chatReady.set(chatId, slot + perChat);
      if (slot > t0) await sleep(slot - t0);
    },
  };
}

import type { OutboxListener } from "./outbox.js";

type Hook = keyof OutboxListener;
const HOOKS: readonly Hook[] = ["delivered", "gaveUp", "attempted", "received", "duplicate", "settled"];

/**
 * One listener that tells several, in the order given, each hook awaited before the next listener.
 * An error stops the chain and reaches the outbox, which decides what it means (a person not told
 * stays "not notified"; an observer's trouble is logged): put the listener that must hear first.
 */
export function combineListeners(...listeners: OutboxListener[]): OutboxListener {
  const combined: OutboxListener = {};
  for (const hook of HOOKS) {
    const takers = listeners.filter((l) => l[hook] !== undefined);
    if (takers.length === 0) continue;
    // Every hook has the same shape (arguments in, promise or nothing out); the cast only says so.
    (combined as Record<Hook, (...args: unknown[]) => Promise<void>>)[hook] = async (...args: unknown[]) => {
      // As above: each taker's hook has that shape.
      for (const listener of takers) await (listener[hook] as (...a: unknown[]) => Promise<void> | void).apply(listener, args);
    };
  }
  return combined;
}

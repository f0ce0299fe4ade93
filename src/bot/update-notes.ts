import type { Update } from "grammy/types";

/**
 * "What happened" for the one log line per update: features note it here, the update logger in
 * create-bot reads it. Keyed by the update object, so nothing outlives the update.
 */
const notes = new WeakMap<Update, string[]>();

export function noteUpdate(ctx: { update: Update }, what: string): void {
  const list = notes.get(ctx.update);
  if (list) list.push(what);
  else notes.set(ctx.update, [what]);
}

export function updateNotes(ctx: { update: Update }): string | undefined {
  return notes.get(ctx.update)?.join("; ");
}

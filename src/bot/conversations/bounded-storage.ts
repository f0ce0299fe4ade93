import type { ConversationData, ConversationStorage, VersionedState } from "@grammyjs/conversations";
import type { Context } from "grammy";
import { JsonText } from "../../store/json-text.js";
import type { KeyValueStore } from "../../store/types.js";

/**
 * Stored state of one chat's conversation, at most this many bytes of JSON. A lead conversation keeps
 * about 2 KB at a question, and about 1 KB more per answer Brainysoft refused until it starts over at
 * MAX_KEPT_ANSWERS (7 KB at most, measured): this is room for several times that, not for answers that
 * quote long messages again and again.
 */
export const MAX_CONVERSATION_BYTES = 32 * 1024;

export interface BoundedStorageOptions<C extends Context> {
  store: KeyValueStore<unknown>;
  /** Bump when the conversation's steps change: stored conversations of another version restart. */
  version: number;
  maxBytes?: number | undefined;
  /** A chat's state was over the limit and has been deleted: its conversation has ended. */
  onDropped: (ctx: C, bytes: number) => Promise<void>;
  /** A write has remembered ctx's update as handled (committed with the state): nobody need write that mark again. */
  onMarkedHandled?: ((ctx: C) => void) | undefined;
}

/**
 * Conversation state kept in `store` under `conversation:<chat id>`, with a size limit. The conversation
 * keeps only answers it took and refuses the rest, so it stays small; but a kept answer is a whole
 * Telegram update, which can carry a long quoted message. A state that grows past the limit anyway is
 * deleted instead of written, and `onDropped` tells the person: no chat can make each of its updates
 * read, replay and write an ever larger state.
 */
export function boundedConversationStorage<C extends Context>(options: BoundedStorageOptions<C>): ConversationStorage<C, ConversationData> {
  const { store } = options;
  const maxBytes = options.maxBytes ?? MAX_CONVERSATION_BYTES;
  const marked = async (ctx: C, write: Promise<void>) => {
    await write;
    options.onMarkedHandled?.(ctx);
  };
  const keyOf = (ctx: C) => (ctx.chatId === undefined ? undefined : `conversation:${ctx.chatId}`);
  return {
    type: "context",
    version: options.version,
    adapter: {
      async read(ctx) {
        const key = keyOf(ctx);
        // The plugin checks the version envelope itself (and starts over on another version).
        return key === undefined ? undefined : ((await store.read(key)) as VersionedState<ConversationData> | undefined);
      },
      // With the update remembered as handled in the same write: a step is taken once, however often
      // Telegram sends it (a replica that dies before its own mark would otherwise leave it to be redone).
      async write(ctx, state) {
        const key = keyOf(ctx);
        if (key === undefined) return;
        const json = JSON.stringify(state);
        const bytes = Buffer.byteLength(json);
        if (bytes <= maxBytes) return marked(ctx, store.write(key, new JsonText(json), ctx.update.update_id));
        await marked(ctx, store.delete(key, ctx.update.update_id));
        await options.onDropped(ctx, bytes);
      },
      async delete(ctx) {
        const key = keyOf(ctx);
        if (key !== undefined) await marked(ctx, store.delete(key, ctx.update.update_id));
      },
    },
  };
}

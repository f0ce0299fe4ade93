/** The per-chat bound on updates in flight: who is dropped, and who is told, how often and in which language. */
import { Writable } from "node:stream";
import type { Update } from "grammy/types";
import { describe, expect, it } from "vitest";
import { createTranslate } from "../../src/i18n.js";
import { createLogger } from "../../src/logger.js";
import { createChatGate } from "../../src/runtime/chat-gate.js";
import { textOf } from "../harness/locale.js";

let nextId = 1;
function update(chatId: number, options: { type?: "private" | "supergroup"; language?: string } = {}): Update {
  const chat =
    options.type === "supergroup"
      ? { id: chatId, type: "supergroup" as const, title: "group" }
      : { id: chatId, type: "private" as const, first_name: "A" };
  return {
    update_id: nextId++,
    message: {
      message_id: nextId,
      date: 0,
      chat,
      from: { id: Math.abs(chatId), is_bot: false, first_name: "A", language_code: options.language ?? "ru" },
      text: "x",
    },
  };
}

function gate(limit: number) {
  const sent: { chatId: number; text: string }[] = [];
  let dropped = 0;
  const chatGate = createChatGate({
    // Only sendMessage's first two parameters are used; grammY's full signature is not worth rebuilding.
    api: { sendMessage: async (chatId: number | string, text: string) => void sent.push({ chatId: Number(chatId), text }) } as never,
    t: createTranslate("ru"),
    defaultLocale: "ru",
    log: createLogger({ level: "silent", destination: new Writable({ write: (_chunk, _encoding, done) => done() }) }),
    onDropped: () => dropped++,
    limit,
  });
  return { chatGate, sent, dropped: () => dropped };
}

describe("the chat gate", () => {
  it("drops a chat's updates beyond the limit, tells it once per episode, and leaves other chats alone", async () => {
    const { chatGate, sent, dropped } = gate(2);
    const first = update(1);
    const second = update(1);
    expect(chatGate.admit(first)).toBe(true);
    expect(chatGate.admit(second)).toBe(true);
    expect([update(1), update(1), update(1)].map((u) => chatGate.admit(u))).toEqual([false, false, false]);
    expect(chatGate.admit(update(2))).toBe(true);
    await Promise.resolve();
    expect(sent).toEqual([{ chatId: 1, text: textOf("flood-dropped") }]);
    expect(dropped()).toBe(3);

    // One place free again: one more is taken, and the episode goes on (no second notice).
    chatGate.done(first);
    expect(chatGate.admit(update(1))).toBe(true);
    expect(chatGate.admit(update(1))).toBe(false);
    expect(sent).toHaveLength(1);

    // Everything handled: the episode is over, and the next flood is told again, in the sender's language.
    chatGate.done(second);
    chatGate.done(update(1)); // an update the gate never saw changes nothing
    expect(chatGate.admit(update(1, { language: "en" }))).toBe(true);
    expect(chatGate.admit(update(1, { language: "en" }))).toBe(true);
    expect(chatGate.admit(update(1, { language: "en" }))).toBe(false);
    await Promise.resolve();
    expect(sent).toEqual([
      { chatId: 1, text: textOf("flood-dropped") },
      { chatId: 1, text: textOf("flood-dropped", {}, "en") },
    ]);
  });

  it("tells a private chat in its language, and a group nothing", async () => {
    const { chatGate, sent } = gate(1);
    expect(chatGate.admit(update(3, { language: "en" }))).toBe(true);
    expect(chatGate.admit(update(3, { language: "en" }))).toBe(false);
    expect(chatGate.admit(update(-100, { type: "supergroup" }))).toBe(true);
    expect(chatGate.admit(update(-100, { type: "supergroup" }))).toBe(false);
    await Promise.resolve();
    expect(sent).toEqual([{ chatId: 3, text: textOf("flood-dropped", {}, "en") }]);
  });

  it("admits updates without a chat", () => {
    const { chatGate } = gate(1);
    const inline: Update = {
      update_id: 99,
      inline_query: { id: "1", from: { id: 1, is_bot: false, first_name: "A" }, query: "", offset: "" },
    };
    expect([chatGate.admit(inline), chatGate.admit(inline)]).toEqual([true, true]);
  });
});

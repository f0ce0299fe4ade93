/**
 * The chats the fake server knows, their messages, and the test-facing record of what the bot did in
 * each (sends, edits, deletions), with the read cursor of nextMessage and the waiters of
 * waitForMessage. A wait that times out lists what the chat received, to make a failing test readable.
 */
import type { Chat, Message } from "grammy/types";
import type { SentMessage } from "./fake-telegram-types.js";

export interface StoredMessage {
  fromBot: boolean;
  message: Message;
  record?: SentMessage;
  deleted: boolean;
}

interface Waiter {
  /** "next" takes the record at the read cursor; "match" takes the first new record the predicate accepts. */
  kind: "next" | "match";
  predicate: (m: SentMessage) => boolean;
  resolve: (m: SentMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface ChatState {
  chat: Chat;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  log: SentMessage[];
  actions: string[];
  /** Index into `log` of the first record nextMessage has not returned yet. */
  cursor: number;
  waiters: Waiter[];
}

function describeRecord(m: SentMessage): string {
  const content = m.text ?? m.caption ?? (m.document ? `[file ${m.document.filename ?? m.document.file_id ?? "?"}]` : "");
  const shown = content.length > 120 ? `${content.slice(0, 117)}...` : content;
  const keyboard = m.reply_markup ? " +keyboard" : "";
  return `  #${m.seq} ${m.method} message_id=${m.message_id} ${JSON.stringify(shown)}${keyboard}`;
}

export class ChatBook {
  private readonly chats = new Map<number, ChatState>();

  constructor(
    private readonly waitTimeoutMs: number,
    private readonly isClosing: () => boolean,
    /** More lines for a timeout's message: the calls for this chat that failed, how updates are delivered. */
    private readonly moreAbout: (chatId: number) => string[],
  ) {}

  /** The chat's state; `chat` refreshes what is known about it (a user's name may change). */
  state(chatId: number, chat?: Chat): ChatState {
    let state = this.chats.get(chatId);
    if (!state) {
      // A chat the fake never saw (the bot writes first, e.g. to an operators' group): made up from the id.
      const made: Chat =
        chatId < 0
          ? { id: chatId, type: "supergroup", title: `Chat ${chatId}` }
          : { id: chatId, type: "private", first_name: `User ${chatId}` };
      state = { chat: chat ?? made, nextMessageId: 1, messages: new Map(), log: [], actions: [], cursor: 0, waiters: [] };
      this.chats.set(chatId, state);
    } else if (chat) {
      state.chat = chat;
    }
    return state;
  }

  /** A message of the chat, if the chat and the message exist. */
  find(chatId: number, messageId: number): StoredMessage | undefined {
    return this.chats.get(chatId)?.messages.get(messageId);
  }

  sent(chatId: number): SentMessage[] {
    return [...(this.chats.get(chatId)?.log ?? [])];
  }

  unread(chatId: number): SentMessage[] {
    const state = this.chats.get(chatId);
    return state ? state.log.slice(state.cursor) : [];
  }

  chatActions(chatId: number): string[] {
    return [...(this.chats.get(chatId)?.actions ?? [])];
  }

  nextMessage(chatId: number, timeoutMs = this.waitTimeoutMs): Promise<SentMessage> {
    const state = this.state(chatId);
    // Earlier nextMessage calls still waiting come first, so concurrent callers get records in order.
    const next = state.log[state.cursor];
    if (next && !state.waiters.some((w) => w.kind === "next")) {
      state.cursor++;
      return Promise.resolve(next);
    }
    return this.addWaiter(state, chatId, "next", () => true, timeoutMs, `nextMessage(${chatId})`);
  }

  waitForMessage(
    chatId: number,
    predicate: (m: SentMessage) => boolean = () => true,
    timeoutMs = this.waitTimeoutMs,
  ): Promise<SentMessage> {
    const state = this.state(chatId);
    const found = state.log.find(predicate);
    if (found) return Promise.resolve(found);
    return this.addWaiter(state, chatId, "match", predicate, timeoutMs, `waitForMessage(${chatId})`);
  }

  /** Appends a record to the chat and hands it to whoever waits for it. */
  record(chatId: number, entry: Omit<SentMessage, "seq" | "chat_id" | "at">): SentMessage {
    const state = this.state(chatId);
    const record: SentMessage = { seq: state.log.length + 1, chat_id: chatId, at: Date.now(), ...entry };
    state.log.push(record);
    for (const waiter of [...state.waiters]) {
      let taken: SentMessage | undefined;
      let failed: unknown;
      try {
        if (waiter.kind === "next" && state.cursor < state.log.length) taken = state.log[state.cursor++];
        else if (waiter.kind === "match" && waiter.predicate(record)) taken = record;
      } catch (e) {
        // A test's predicate that throws fails that test's wait, not the bot's API call being answered.
        failed = e;
      }
      if (taken || failed !== undefined) {
        clearTimeout(waiter.timer);
        state.waiters.splice(state.waiters.indexOf(waiter), 1);
        if (taken) waiter.resolve(taken);
        else waiter.reject(failed instanceof Error ? failed : new Error(String(failed)));
      }
    }
    return record;
  }

  /** Fails every wait still pending: the server is closing. */
  rejectWaiters(): void {
    for (const [chatId, state] of this.chats) {
      for (const waiter of state.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`the fake Telegram server closed while waiting for a message in chat ${chatId}`));
      }
    }
  }

  private addWaiter(
    state: ChatState,
    chatId: number,
    kind: Waiter["kind"],
    predicate: (m: SentMessage) => boolean,
    timeoutMs: number,
    label: string,
  ): Promise<SentMessage> {
    if (this.isClosing()) return Promise.reject(new Error(`${label}: the fake Telegram server is closed`));
    return new Promise<SentMessage>((resolve, reject) => {
      const waiter: Waiter = {
        kind,
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          state.waiters.splice(state.waiters.indexOf(waiter), 1);
          reject(new Error(`${label}: nothing ${kind === "match" ? "matching " : "new "}within ${timeoutMs} ms\n${this.describe(chatId)}`));
        }, timeoutMs),
      };
      state.waiters.push(waiter);
    });
  }

  /** What a timeout error shows: the chat's records, then what `moreAbout` adds. */
  private describe(chatId: number): string {
    const state = this.chats.get(chatId);
    const lines: string[] = [];
    if (!state || state.log.length === 0) {
      lines.push(`chat ${chatId} received nothing from the bot`);
    } else {
      lines.push(`chat ${chatId} received ${state.log.length} record(s), ${state.log.length - state.cursor} unread by nextMessage:`);
      lines.push(...state.log.map(describeRecord));
    }
    if (state?.actions.length) lines.push(`chat actions: ${state.actions.join(", ")}`);
    lines.push(...this.moreAbout(chatId));
    return lines.join("\n");
  }
}

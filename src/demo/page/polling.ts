/** Keeping the chats current: a long poll on the open chat, so replies show at once; the others now and then. */
import type { MessageRecord } from "../answers.js";
import type { Chat, PageState } from "./chats.js";
import { demoApi } from "./demo-api.js";
import { el, sleep } from "./dom.js";

export interface Polling {
  /** Ends the long poll on the chat that was open and starts one on the open chat. */
  restartActive(): void;
  pollOthers(): Promise<void>;
  /** Runs the task every `ms` until the sandbox is gone; a failed run is tried again next time. */
  every(ms: number, task: () => Promise<void>): Promise<void>;
}

export function createPolling(state: PageState, applyRecords: (chat: Chat, records: MessageRecord[]) => void): Polling {
  let activePoll: AbortController | undefined;

  async function pollActive(chat: Chat, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !state.stopped) {
      try {
        const data = await demoApi.messages(chat.persona.user.id, chat.seq, { wait: 25_000, signal });
        applyRecords(chat, data.messages);
      } catch {
        if (signal.aborted) return;
        await sandboxGone();
        await sleep(1500);
      }
    }
  }

  /** After a failed request: is the sandbox still there? */
  async function sandboxGone(): Promise<void> {
    try {
      await demoApi.info();
    } catch {
      if (state.stopped) return;
      state.stopped = true;
      document.body.append(el("div", "stopped", "The sandbox has stopped. Start it again with “npm run demo” and reload this page."));
    }
  }

  return {
    restartActive() {
      activePoll?.abort();
      activePoll = new AbortController();
      void pollActive(state.active, activePoll.signal);
    },
    async pollOthers() {
      for (const chat of state.chats.values()) {
        if (chat === state.active) continue;
        try {
          const data = await demoApi.messages(chat.persona.user.id, chat.seq);
          applyRecords(chat, data.messages);
        } catch {
          // The active poll reports a stopped sandbox.
        }
      }
    },
    async every(ms, task) {
      while (!state.stopped) {
        await task().catch(() => undefined);
        await sleep(ms);
      }
    },
  };
}

/**
 * The fake server's update queue and long polling, as Telegram keeps them: getUpdates confirms by
 * `offset`, holds a poll until an update arrives or `timeout` ends, answers an older poll with 409
 * when a second poller comes, and remembers allowed_updates until they are changed.
 */
import type { ServerResponse } from "node:http";
import type { Update } from "grammy/types";
import type { ApiCall } from "./fake-telegram-types.js";
import { ApiFailure, errorPayload, intParam, jsonParam, writeJson, type Params } from "./fake-telegram-wire.js";

export interface QueuedUpdate {
  update: Update;
  delivered: boolean;
  /** Injected with an update_id the bot had already confirmed: exempt from offset confirmation once. */
  replay: boolean;
  attempts: number;
}

interface HeldPoll {
  res: ServerResponse;
  limit: number;
  timer: ReturnType<typeof setTimeout>;
  call: ApiCall;
}

/** Update types Telegram only sends when asked for explicitly in allowed_updates. */
const OPT_IN_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

export class UpdateQueue {
  private entries: QueuedUpdate[] = [];
  private nextUpdateId = 1;
  /** Highest offset a getUpdates call has passed: updates below it count as confirmed. */
  private confirmedOffset = 0;
  private heldPoll: HeldPoll | undefined;
  allowedUpdates: string[] | undefined;
  lastPollAt: number | undefined;

  constructor(private readonly isClosing: () => boolean) {}

  get length(): number {
    return this.entries.length;
  }

  /** Queues an update; assigns update_id if missing. */
  inject(raw: Record<string, unknown>): number {
    const given = raw.update_id;
    let updateId: number;
    let replay = false;
    if (typeof given === "number" && Number.isInteger(given)) {
      updateId = given;
      replay = given < this.confirmedOffset;
      this.nextUpdateId = Math.max(this.nextUpdateId, given + 1);
    } else {
      updateId = this.nextUpdateId++;
    }
    const update = { ...raw, update_id: updateId } as Update; // an update as the caller shaped it; its id is ours
    this.entries.push({ update, delivered: false, replay, attempts: 0 });
    return updateId;
  }

  /** drop_pending_updates of setWebhook and deleteWebhook. */
  dropAll(): void {
    this.entries = [];
  }

  /** allowed_updates of getUpdates and setWebhook: a setting that sticks until changed; omitted means "keep". */
  takeAllowedUpdates(p: Params): void {
    const allowed = jsonParam(p, "allowed_updates", "can't parse allowed_updates JSON array");
    if (Array.isArray(allowed)) this.allowedUpdates = allowed.map(String);
  }

  getUpdates(p: Params, res: ServerResponse, call: ApiCall): void {
    const offset = intParam(p, "offset") ?? 0;
    const limit = Math.min(100, Math.max(1, intParam(p, "limit") ?? 100));
    // Capped at a day: setTimeout cannot hold more than about 24.8 days and nothing needs longer.
    const timeout = Math.min(86_400, Math.max(0, intParam(p, "timeout") ?? 0));
    this.takeAllowedUpdates(p);

    this.confirm(offset);
    this.lastPollAt = Date.now();
    // Telegram answers an older poll still waiting with 409: two bot instances show up in tests too.
    this.endHeldPoll(
      409,
      errorPayload(
        new ApiFailure(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"),
      ),
    );

    const batch = this.takeBatch(limit);
    if (batch.length > 0 || timeout === 0 || this.isClosing()) {
      writeJson(res, 200, { ok: true, result: batch });
      return;
    }
    const poll: HeldPoll = { res, limit, call, timer: setTimeout(() => this.endHeldPoll(200, { ok: true, result: [] }), timeout * 1000) };
    this.heldPoll = poll;
    // The bot gave up on this request (grammY's bot.stop() aborts it): forget it.
    res.on("close", () => {
      if (this.heldPoll === poll) {
        clearTimeout(poll.timer);
        this.heldPoll = undefined;
      }
    });
  }

  /** Answers the poll that waits, if one does. */
  endHeldPoll(status: number, payload: unknown, closeConnection = false): void {
    const poll = this.heldPoll;
    if (!poll) return;
    clearTimeout(poll.timer);
    this.heldPoll = undefined;
    if (status !== 200) {
      const p = payload as { error_code: number; description: string }; // non-200 answers are errorPayload()s
      poll.call.error = { code: p.error_code, description: p.description };
    }
    writeJson(poll.res, status, payload, closeConnection);
  }

  /** Hands queued updates to the poll that waits, if any. */
  answerHeldPoll(): void {
    if (!this.heldPoll) return;
    const batch = this.takeBatch(this.heldPoll.limit);
    if (batch.length > 0) this.endHeldPoll(200, { ok: true, result: batch });
  }

  /** The oldest update a webhook should get next; those allowed_updates excludes are dropped, as Telegram does. */
  nextForWebhook(): QueuedUpdate | undefined {
    while (this.entries.length > 0) {
      const entry = this.entries[0];
      if (entry && this.isAllowed(entry.update)) return entry;
      this.entries.shift();
    }
    return undefined;
  }

  /** Every queued update a webhook may get, oldest first; those allowed_updates excludes are dropped. */
  waiting(): QueuedUpdate[] {
    this.entries = this.entries.filter((e) => this.isAllowed(e.update));
    return [...this.entries];
  }

  remove(entry: QueuedUpdate): void {
    const index = this.entries.indexOf(entry);
    if (index >= 0) this.entries.splice(index, 1);
  }

  /** getUpdates' offset: updates below it are confirmed and forgotten; a negative one keeps the last -offset. */
  private confirm(offset: number): void {
    if (offset > 0) {
      this.entries = this.entries.filter((e) => e.update.update_id >= offset || (e.replay && !e.delivered));
      this.confirmedOffset = Math.max(this.confirmedOffset, offset);
    } else if (offset < 0) {
      this.entries = this.entries.slice(offset);
    }
  }

  private isAllowed(update: Update): boolean {
    const type = Object.keys(update).find((k) => k !== "update_id") ?? "";
    const allowed = this.allowedUpdates;
    return allowed && allowed.length > 0 ? allowed.includes(type) : !OPT_IN_UPDATES.has(type);
  }

  /** Up to `limit` queued updates, oldest first; those allowed_updates excludes are dropped, as Telegram does. */
  private takeBatch(limit: number): Update[] {
    const batch: Update[] = [];
    for (let i = 0; i < this.entries.length && batch.length < limit; ) {
      const entry = this.entries[i];
      if (!entry) break;
      if (!this.isAllowed(entry.update)) {
        this.entries.splice(i, 1);
        continue;
      }
      entry.delivered = true;
      batch.push(entry.update);
      i++;
    }
    return batch;
  }
}

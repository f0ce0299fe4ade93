/**
 * Delivery results Brainysoft gave that the store refused to record (a full disk). Brainysoft may
 * have created the lead already, so the outbox never sends a lead held here again; the refused writes
 * are made again with backoff, each lead's in order. Only memory holds them: a process that dies
 * first leaves the lead pending, and it is sent once more after the restart (the one extra copy a
 * crash may cost, as for a crash during an attempt).
 */
import type { Logger } from "../logger.js";
import type { SubmitOutcome } from "./submit-outcome.js";

/** A write the store refused, to be made again; `what` names it in logs. */
export interface OwedWrite {
  what: string;
  write: () => Promise<void>;
}

export interface HeldResults {
  /** What the bot answered for a held lead. */
  get(leadId: number): SubmitOutcome | undefined;
  readonly size: number;
  /** The leads held. */
  ids(): number[];
  /** Keeps writes for the outcome's lead, after any already kept for it, and makes them again soon. */
  hold(outcome: SubmitOutcome, writes: OwedWrite[]): void;
  /** Makes the owed writes now; false when the store still refuses one. */
  writeOwed(): Promise<boolean>;
  start(): void;
  /** Stops the retries after one last try, and logs what is still held (it is lost with the process). */
  stop(): Promise<void>;
}

export interface HeldResultsOptions {
  log: Logger;
  /** From baseMs after a refusal, doubling while the store keeps refusing, capped at maxMs. */
  baseMs: number;
  maxMs: number;
  /** Told the number of held leads whenever it changes (readiness and the admins' alert). */
  onCount?: ((count: number) => void) | undefined;
}

interface Held {
  outcome: SubmitOutcome;
  writes: OwedWrite[];
}

export function createHeldResults(options: HeldResultsOptions): HeldResults {
  const { log } = options;
  const held = new Map<number, Held>();
  let timer: NodeJS.Timeout | undefined;
  let delayMs = options.baseMs;
  let writing: Promise<boolean> | undefined;
  let stopped = false;

  function schedule(): void {
    if (stopped || timer || held.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void writeOwed().then((done) => {
        delayMs = done ? options.baseMs : Math.min(options.maxMs, delayMs * 2);
        schedule();
      });
    }, delayMs);
  }

  function writeOwed(): Promise<boolean> {
    writing ??= (async () => {
      for (const [id, lead] of held) {
        for (let next = lead.writes[0]; next; next = lead.writes[0]) {
          try {
            await next.write();
          } catch (error) {
            log.warn({ err: error, lead: id, write: next.what, held: held.size }, "the store still refuses a delivery result");
            return false;
          }
          lead.writes.shift();
        }
        held.delete(id);
        log.info({ lead: id }, "a delivery result held in memory is stored now");
        options.onCount?.(held.size);
      }
      return true;
    })().finally(() => (writing = undefined));
    return writing;
  }

  return {
    get: (leadId) => held.get(leadId)?.outcome,
    get size() {
      return held.size;
    },
    ids: () => [...held.keys()],
    hold(outcome, writes) {
      const lead = held.get(outcome.lead.id);
      if (lead) lead.writes.push(...writes);
      else held.set(outcome.lead.id, { outcome, writes: [...writes] });
      options.onCount?.(held.size);
      schedule();
    },
    writeOwed,
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      delayMs = options.baseMs;
      if (held.size === 0 || (await writeOwed())) return;
      for (const [id, lead] of held) {
        const brainysoftId = lead.outcome.kind === "created" ? lead.outcome.brainysoftId : undefined;
        log.error(
          { lead: id, outcome: lead.outcome.kind, brainysoftId, writes: lead.writes.map((w) => w.what) },
          "stopping with a delivery result the store refused: a lead still pending is sent again after the restart",
        );
      }
    },
  };
}

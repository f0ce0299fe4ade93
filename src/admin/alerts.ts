/**
 * Tells every admin when Brainysoft stops answering or refuses the credentials, when it answers
 * again, when a lead fails for good, and when the database refuses writes and takes them again: one
 * message per event, never one per lead. Repeats are folded into a count that the recovery message
 * (or an hourly reminder) carries.
 */
import type { Api } from "grammy";
import type { CreateLeadResult } from "../brainysoft/client.js";
import { escapeHtml } from "../html.js";
import type { Translate } from "../i18n.js";
import type { OutboxListener } from "../leads/outbox-events.js";
import type { Logger } from "../logger.js";
import { maskPhone } from "../phone.js";
import type { LeadRecord, Store } from "../store/types.js";
import type { WriteHealthEvents } from "../store/write-health.js";
import { formatDuration, sourceLabel, type Tr } from "./format.js";
import { codedDetail, scrubDetail } from "./journal.js";

export interface AlertCenterOptions {
  api: Api;
  adminIds: readonly number[];
  t: Translate;
  /** Alerts happen outside any chat, so they are written in the operator's default language. */
  locale: string;
  store: Pick<Store, "leads" | "events">;
  log: Logger;
  now?: () => number;
  /** Failed calls in a row before "Brainysoft is not answering" (a refused credential is told at once). Default 3. */
  failuresBeforeAlert?: number;
  /** While an outage lasts, at most one reminder this often. Default 1 h. */
  remindEveryMs?: number;
  /** After a lead fails for good, further failures for this long are counted and told in one message. Default 10 min. */
  foldLeadFailuresMs?: number;
  /**
   * Replicas: each sees Brainysoft fail and recover by itself, so each would tell the admins. An alert
   * about Brainysoft is sent only by the replica that is first to claim it in the store they share
   * (true once per key and window); a claim the store cannot take lets the alert go (a repeat rather than a silence).
   */
  shared?: { once(key: string, windowMs: number): Promise<boolean> };
}

/** How close together replicas notice one change of Brainysoft's health. */
const SHARED_ALERT_WINDOW_MS = 60_000;

export interface AlertCenter extends OutboxListener {
  /** The store refuses writes: told once per episode, however many writes fail in it (store-faults.ftl). */
  storeFailing: NonNullable<WriteHealthEvents["failing"]>;
  /** The episode is over: writes work and nothing is held in memory. */
  storeRecovered: NonNullable<WriteHealthEvents["recovered"]>;
  /** Resolves when the messages decided so far have been sent (or failed). */
  flush(): Promise<void>;
  /** Drops pending summaries and waits for messages being sent. */
  stop(): Promise<void>;
}

type Problem = "down" | "auth";

type Health =
  | { kind: "ok"; failures: number; since?: number | undefined }
  | { kind: Problem; since: number; failures: number; sinceLastMessage: number; lastMessageAt: number };

export function createAlertCenter(options: AlertCenterOptions): AlertCenter {
  const { adminIds, log, store } = options;
  const now = options.now ?? Date.now;
  const threshold = options.failuresBeforeAlert ?? 3;
  const remindEveryMs = options.remindEveryMs ?? 60 * 60_000;
  const foldMs = options.foldLeadFailuresMs ?? 10 * 60_000;
  const t: Tr = (key, vars) => options.t(options.locale, key, vars);

  let health: Health = { kind: "ok", failures: 0 };
  let fold: { count: number; timer: NodeJS.Timeout } | undefined;
  /** Messages go out one after another, so a recovery never overtakes its alert. */
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;

  /** `text` is built when the message's turn comes, so counts (queue depth) are current. */
  function tell(text: () => Promise<string>, shared?: { key: string; windowMs?: number }): void {
    queue = queue.then(async () => {
      if (shared && options.shared) {
        const first = await options.shared.once(`alert:${shared.key}`, shared.windowMs ?? SHARED_ALERT_WINDOW_MS).catch(() => true);
        if (!first) return;
      }
      let message: string;
      try {
        message = await text();
      } catch (error) {
        log.error({ err: error }, "could not compose an admin alert");
        return;
      }
      for (const admin of adminIds) {
        await options.api
          // Explicit, whatever Api is passed in: the texts are HTML with escaped details.
          .sendMessage(admin, message, { parse_mode: "HTML" })
          .catch((error: unknown) => {
            // An admin who never opened the bot cannot be written to (403): the journal shows it.
            log.warn({ err: error, admin }, "admin alert not delivered");
            const detail = codedDetail({ code: "alert-undelivered", admin, error: scrubDetail(String(error)) });
            return store.events.record({ kind: "error", actor: "system", source: "telegram", detail });
          })
          .catch(() => undefined);
      }
    });
  }

  const waiting = async () => (await store.leads.countByState()).pending;
  const journal = (kind: string, detail: string) =>
    store.events.record({ at: now(), kind, actor: "system", source: "brainysoft", detail }).catch((error: unknown) => {
      log.error({ err: error }, "could not record an alert in the journal");
    });

  function failed(problem: Problem, result: CreateLeadResult & { detail: string }): void {
    const at = now();
    const detail = escapeHtml(scrubDetail(result.detail, 120));
    if (health.kind === "ok") {
      health = { kind: "ok", failures: health.failures + 1, since: health.since ?? at };
      if (problem === "down" && health.failures < threshold) return;
      health = { kind: problem, since: health.since ?? at, failures: health.failures, sinceLastMessage: 0, lastMessageAt: at };
      void journal(problem === "auth" ? "auth-failure" : "outage", result.detail);
      tell(async () => t(problem === "auth" ? "alert-crm-auth" : "alert-crm-down", { detail, pending: await waiting() }), { key: problem });
      return;
    }
    if (problem === "auth" && health.kind === "down") {
      // Answering again but refusing the credentials is a new problem, with a different fix.
      health = { ...health, kind: "auth", failures: health.failures + 1, sinceLastMessage: 0, lastMessageAt: at };
      void journal("auth-failure", result.detail);
      tell(async () => t("alert-crm-auth", { detail, pending: await waiting() }), { key: "auth" });
      return;
    }
    health.failures += 1;
    health.sinceLastMessage += 1;
    if (at - health.lastMessageAt < remindEveryMs) return;
    const { since, sinceLastMessage } = health;
    health.sinceLastMessage = 0;
    health.lastMessageAt = at;
    const kind = health.kind;
    tell(
      async () =>
        t(kind === "auth" ? "alert-crm-auth-still" : "alert-crm-still-down", {
          duration: formatDuration(at - since, t),
          failures: sinceLastMessage,
          detail,
          pending: await waiting(),
        }),
      { key: `${kind}-still`, windowMs: remindEveryMs },
    );
  }

  function answered(): void {
    if (health.kind === "ok") {
      health = { kind: "ok", failures: 0 };
      return;
    }
    const { since, failures } = health;
    const duration = formatDuration(now() - since, t);
    health = { kind: "ok", failures: 0 };
    void journal("recovered", codedDetail({ code: "recovered", seconds: Math.round((now() - since) / 1000), failures }));
    tell(async () => t("alert-crm-recovered", { duration, failures, pending: await waiting() }), { key: "recovered" });
  }

  function leadFailed(lead: LeadRecord, result: CreateLeadResult): void {
    if (fold) {
      fold.count += 1;
      return;
    }
    const reason = "detail" in result ? escapeHtml(scrubDetail(result.detail, 120)) : result.kind;
    // Maybe created: the admin must look in Brainysoft before sending it again.
    const key = result.kind === "unconfirmed" ? "alert-lead-unconfirmed" : "alert-lead-failed";
    tell(async () =>
      t(key, {
        id: String(lead.id),
        state: lead.state,
        phone: maskPhone(lead.phone),
        source: escapeHtml(sourceLabel(lead, t)),
        reason,
      }),
    );
    openFold();
  }

  /** One window at a time: its failures are told together when it closes, and a new window opens if there were any. */
  function openFold(): void {
    const timer = setTimeout(() => {
      const count = fold?.count ?? 0;
      fold = undefined;
      if (count === 0 || stopped) return;
      tell(async () => t("alert-leads-failed-more", { count, duration: formatDuration(foldMs, t) }));
      openFold();
    }, foldMs);
    timer.unref();
    fold = { count: 0, timer };
  }

  return {
    settled(outcome, result, awaited) {
      if (stopped) return;
      if (result.kind === "created") answered();
      else if (result.kind === "transient" || result.kind === "auth") failed(result.kind === "auth" ? "auth" : "down", result);
      // A field error with the person still there is theirs to fix (they are asked again); later, nobody can.
      if (outcome.kind === "rejected" || (outcome.kind === "field-error" && !awaited)) leadFailed(outcome.lead, result);
    },
    // Not journalled: the journal is in the store that is failing.
    storeFailing(problem) {
      if (stopped) return;
      const detail = escapeHtml(scrubDetail(problem.error, 120));
      tell(async () => t("alert-store-failing", { detail }));
    },
    storeRecovered(problem) {
      if (stopped) return;
      tell(async () => t("alert-store-recovered", { duration: formatDuration(problem.durationMs, t), failures: problem.failures }));
    },
    flush: () => queue,
    async stop() {
      stopped = true;
      if (fold) clearTimeout(fold.timer);
      fold = undefined;
      await queue;
    },
  };
}

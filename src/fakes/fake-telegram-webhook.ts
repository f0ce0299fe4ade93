/**
 * Webhook delivery of the fake server, as Telegram does it: setWebhook checks the URL and secret, ends
 * a waiting long poll; updates are POSTed one at a time with the secret header and re-sent until
 * answered 2xx; a method call in the webhook's answer is performed.
 *
 * With a balancer (several replicas behind one URL), updates of different chats travel at once, up to
 * max_connections, each to the next replica in turn; a chat's next update waits until its previous one
 * was accepted, and a share of updates is posted to two replicas at the same moment, as a re-delivery
 * after a timeout can arrive while the first is still being handled.
 */
import type { WebhookBalancer, WebhookDelivery } from "./fake-telegram-types.js";
import type { QueuedUpdate, UpdateQueue } from "./fake-telegram-updates.js";
import { ApiFailure, bad, boolParam, errorPayload, intParam, strParam, unixNow, type Params } from "./fake-telegram-wire.js";

interface WebhookState {
  url: string;
  secretToken?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

export interface WebhookOptions {
  retryDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
  balancer?: WebhookBalancer | undefined;
}

export class WebhookDeliverer {
  readonly deliveries: WebhookDelivery[] = [];
  private webhook: WebhookState | undefined;
  private delivering = false;
  private readonly inflight = new Set<AbortController>();
  private wakeLoop: (() => void) | undefined;
  /** Balanced delivery: chats with an update on its way or waiting to be re-sent, and how many posts started. */
  private readonly busyChats = new Set<number | string>();
  private posts = 0;

  constructor(
    private readonly queue: UpdateQueue,
    private readonly options: WebhookOptions,
    /** Performs a method call the webhook answered with (Telegram runs it as if the bot had called it). */
    private readonly performReply: (method: string, params: Params) => void,
    private readonly isClosing: () => boolean,
  ) {}

  /** The webhook's URL, when one is set (getUpdates is refused then). */
  get url(): string | undefined {
    return this.webhook?.url;
  }

  set(p: Params): true {
    const url = strParam(p, "url") ?? "";
    // An empty url removes the webhook, as in Telegram.
    if (url === "") return this.remove(p);
    try {
      new URL(url);
    } catch {
      throw bad("bad webhook: invalid URL");
    }
    const secretToken = strParam(p, "secret_token");
    if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
      throw bad("bad webhook: secret token contains unallowed characters");
    }
    this.queue.takeAllowedUpdates(p);
    if (boolParam(p, "drop_pending_updates")) this.queue.dropAll();
    this.queue.endHeldPoll(409, errorPayload(new ApiFailure(409, "Conflict: terminated by setWebhook request")));
    this.webhook = { url, maxConnections: intParam(p, "max_connections") ?? 40, ...(secretToken ? { secretToken } : {}) };
    this.deliver();
    return true;
  }

  remove(p: Params): true {
    this.webhook = undefined;
    if (boolParam(p, "drop_pending_updates")) this.queue.dropAll();
    this.wakeLoop?.();
    return true;
  }

  info(): Record<string, unknown> {
    const hook = this.webhook;
    return {
      url: hook?.url ?? "",
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
      ...(hook ? { max_connections: hook.maxConnections, ip_address: "127.0.0.1" } : {}),
      ...(hook?.lastErrorDate !== undefined ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage } : {}),
      ...(this.queue.allowedUpdates ? { allowed_updates: this.queue.allowedUpdates } : {}),
    };
  }

  /** Stops at once: deliveries on their way are aborted and the retry pause ends. */
  stop(): void {
    for (const controller of this.inflight) controller.abort(new Error("fake Telegram closed"));
    this.wakeLoop?.();
  }

  /**
   * Sends queued updates to the webhook one at a time, in order. An update that is not answered 2xx is
   * re-sent after `retryDelayMs`, up to `maxAttempts` times, then dropped; later updates wait for it,
   * which keeps the order the bot sees the same as in polling mode.
   */
  deliver(): void {
    if (this.options.balancer) this.deliverBalanced(this.options.balancer);
    else void this.deliverLoop();
  }

  /** Starts every update that may go now: its chat has nothing on its way, and connections are free. */
  private deliverBalanced(balancer: WebhookBalancer): void {
    const hook = this.webhook;
    if (!hook || this.isClosing()) return;
    for (const entry of this.queue.waiting()) {
      if (this.busyChats.size >= hook.maxConnections) return;
      const chat = chatOf(entry.update);
      if (this.busyChats.has(chat)) continue;
      this.busyChats.add(chat);
      entry.delivered = true;
      void this.deliverToReplicas(hook, balancer, entry).finally(() => {
        this.busyChats.delete(chat);
        this.deliverBalanced(balancer);
      });
    }
  }

  private async deliverToReplicas(hook: WebhookState, balancer: WebhookBalancer, entry: QueuedUpdate): Promise<void> {
    const ratio = balancer.redeliverRatio ?? 0;
    const { targets } = balancer;
    while (!this.isClosing() && this.webhook === hook) {
      entry.attempts++;
      const n = this.posts++;
      // Every 1/ratio-th post goes twice: an exact share, the same in every run.
      const twice = targets.length > 1 && Math.floor((n + 1) * ratio) > Math.floor(n * ratio);
      const chosen = twice ? [n, n + 1] : [n];
      const errors = await Promise.all(chosen.map((i) => this.postUpdate(hook, entry, replicaUrl(hook.url, targets[i % targets.length]))));
      if (this.isClosing()) return;
      const error = errors.every((e) => e !== undefined) ? errors[0] : undefined;
      if (error === undefined || entry.attempts >= this.options.maxAttempts) {
        this.queue.remove(entry);
        return;
      }
      hook.lastErrorDate = unixNow();
      hook.lastErrorMessage = error;
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
    }
  }

  private async deliverLoop(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (!this.isClosing() && this.webhook) {
        const hook = this.webhook;
        const entry = this.queue.nextForWebhook();
        if (!entry) break;
        entry.attempts++;
        entry.delivered = true;
        const error = await this.postUpdate(hook, entry);
        if (this.isClosing()) break;
        if (error === undefined || entry.attempts >= this.options.maxAttempts) this.queue.remove(entry);
        if (error !== undefined) {
          hook.lastErrorDate = unixNow();
          hook.lastErrorMessage = error;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.options.retryDelayMs);
            this.wakeLoop = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wakeLoop = undefined;
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  /** POSTs one update; returns undefined when the webhook accepted it, else Telegram's last_error_message. */
  private async postUpdate(hook: WebhookState, entry: QueuedUpdate, url = hook.url): Promise<string | undefined> {
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error("timeout")), this.options.timeoutMs);
    const delivery: WebhookDelivery = { update_id: entry.update.update_id, attempt: entry.attempts, at: Date.now() };
    if (url !== hook.url) delivery.target = new URL(url).origin;
    this.deliveries.push(delivery);
    try {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (hook.secretToken) headers["x-telegram-bot-api-secret-token"] = hook.secretToken;
      const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(entry.update), signal: controller.signal });
      const body = await response.text();
      delivery.status = response.status;
      if (!response.ok) return `Wrong response from the webhook: ${response.status} ${response.statusText}`;
      this.runReply(response.headers.get("content-type") ?? "", body);
      return undefined;
    } catch (e) {
      delivery.error = controller.signal.aborted
        ? "Read timeout expired"
        : `Connection failed: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`;
      return delivery.error;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }

  /** A webhook may answer with a method call in its response body; Telegram then performs it. */
  private runReply(contentType: string, body: string): void {
    if (!contentType.includes("json") || body === "") return;
    let reply: unknown;
    try {
      reply = JSON.parse(body);
    } catch {
      return;
    }
    if (!reply || typeof reply !== "object") return;
    const { method, ...params } = reply as Params; // a JSON object, checked just above
    if (typeof method === "string") this.performReply(method, params);
  }
}

/** The webhook's URL with the replica's origin in place of its own. */
function replicaUrl(url: string, origin: string | undefined): string {
  if (origin === undefined) return url;
  const { pathname, search } = new URL(url);
  return new URL(pathname + search, origin).href;
}

/** The chat an update belongs to, for ordering: its chat, else its sender, else the update alone. */
function chatOf(update: QueuedUpdate["update"]): number | string {
  for (const [key, value] of Object.entries(update)) {
    if (key === "update_id" || !value || typeof value !== "object") continue;
    const payload = value as { chat?: { id?: number }; message?: { chat?: { id?: number } }; from?: { id?: number } }; // any update's payload; all optional
    const id = payload.chat?.id ?? payload.message?.chat?.id ?? payload.from?.id;
    if (id !== undefined) return id;
  }
  return `update ${update.update_id}`;
}

/**
 * Issue 12, "Hold under faults and abuse": 1,000 hostile updates from 50 users (markup in names, 4096-character
 * texts, invisible and bidi characters, junk commands, other people's phones and contacts, groups, channel
 * posts, edits, forged callback queries, stickers, photos, locations) against the real bot over HTTP, while a
 * normal customer hands in a lead in the middle of it.
 *
 * What "answered" means here, since the rate limit drops updates by design:
 * - The limit is production's (15 updates per person), with its window stretched over the whole run, so
 *   which updates are beyond it is known exactly: 40 users send at most 15 updates that reach the bot and
 *   are never limited; 10 flooders send 15 at a human pace (each after the previous one was handled), then
 *   a burst of 21 at once.
 * - A private message the limit did not drop is answered: while the bot handled it (from its sending to
 *   the bot's log line for that update), the bot sent at least one message to that chat. A callback query
 *   the limit did not drop gets exactly one answerCallbackQuery.
 * - Of a flooder's burst, the first update (the 16th) gets the limit's notice, once, and nothing else is
 *   sent for the whole burst.
 * - In a group, the bot answers only when addressed (a command for no other bot, or its @name), with the
 *   one-line pointer to the private chat; everything else is left alone. Edits and channel posts never
 *   reach the bot: it asks Telegram only for messages and callback queries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf, textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import {
  FLOODERS,
  HOSTILE_UPDATES,
  HOSTILE_USERS,
  hostilePlan,
  RATE_LIMIT,
  TYPED_MARKER,
  VICTIM_PHONE,
  type HostileUpdate,
  type HostileUser,
} from "./hostile-updates.js";

const SEED = 12;
/** One update's wait on a loaded machine: generous, never slept. */
const WAIT = 30_000;
const LOCALES = ["ru", "en"] as const;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The same message in either language (the storm's users speak ru, en and languages the bot falls back from). */
const inAnyLocale = (key: string) => new Set(LOCALES.map((locale) => textOf(key, {}, locale)));
const matchesAnyLocale = (key: string) => {
  const patterns = LOCALES.map((locale) => patternOf(key, locale));
  return (text: string) => patterns.some((p) => p.test(text));
};
const isErrorApology = matchesAnyLocale("error-generic");
const isRateLimitNotice = matchesAnyLocale("rate-limited");
/** Messages the outbox sends on its own when a lead went through later: not an answer to anything. */
const isLaterNotice = (text: string) =>
  ["lead-delivered-later", "lead-failed-later", "lead-rejected"].some((key) => matchesAnyLocale(key)(text));

/** The bot's one log line per update, written when its handling has ended (rate-limited ones included). */
interface HandledLine {
  update: number;
  chat?: number;
  kind?: string;
  outcome?: string;
}

/** Follows the bot's log for its per-update lines; `wait(id)` resolves once that update was handled. */
function watchHandled(logText: () => string) {
  const handled = new Map<number, HandledLine>();
  const waiters = new Map<number, (line: HandledLine) => void>();
  let offset = 0;
  const poll = () => {
    const text = logText();
    const end = text.lastIndexOf("\n") + 1;
    if (end <= offset) return;
    for (const raw of text.slice(offset, end).split("\n")) {
      if (!raw.startsWith("{")) continue;
      const entry = JSON.parse(raw) as Record<string, unknown>; // pino writes one JSON object per line
      if (entry.msg !== "update" || typeof entry.update !== "number") continue;
      const line: HandledLine = {
        update: entry.update,
        ...(typeof entry.chat === "number" ? { chat: entry.chat } : {}),
        ...(typeof entry.kind === "string" ? { kind: entry.kind } : {}),
        ...(typeof entry.outcome === "string" ? { outcome: entry.outcome } : {}),
      };
      handled.set(line.update, line);
      waiters.get(line.update)?.(line);
      waiters.delete(line.update);
    }
    offset = end;
  };
  const timer = setInterval(poll, 15);
  return {
    handled,
    wait(updateId: number, label: string): Promise<HandledLine> {
      const known = handled.get(updateId);
      if (known) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => {
          waiters.delete(updateId);
          reject(new Error(`update ${updateId} (${label}) was not handled within ${WAIT} ms`));
        }, WAIT);
        waiters.set(updateId, (line) => {
          clearTimeout(timeout);
          resolve(line);
        });
      });
    },
    stop: () => clearInterval(timer),
  };
}

/** One update of the storm and what the bot did about it. */
interface Outcome {
  owner: HostileUser;
  update: HostileUpdate;
  updateId: number;
  /** Position in the owner's updates that reach the bot (1-based): the rate limit counts these. */
  hit: number | undefined;
  /** What the bot sent to the update's chat while handling it (private chats, outside a burst). */
  records: SentMessage[];
}

/** A flooder's burst: everything after the first RATE_LIMIT updates, sent at once. */
interface Burst {
  owner: HostileUser;
  updates: HostileUpdate[];
  records: SentMessage[];
}

const describeOutcome = (o: Outcome) =>
  `user ${o.owner.user.id} update ${o.updateId} #${o.hit ?? "-"} (${o.update.label}): ${o.records.length === 0 ? "no message" : o.records.map((r) => JSON.stringify(r.plainText?.slice(0, 60))).join(", ")}`;

describe(`${HOSTILE_UPDATES} hostile updates from ${HOSTILE_USERS} users`, () => {
  let t: TestApp;
  let watch: ReturnType<typeof watchHandled>;
  const plan = hostilePlan(SEED);
  const outcomes: Outcome[] = [];
  const bursts: Burst[] = [];
  // The first (the warm-up's) is the phone the storm's first user types as if it were theirs.
  const customerPhones = [VICTIM_PHONE, "79776200902", "79776200903", "79776200904"];
  /** Each run of the customer's three steps, in ms per step. */
  const timings: { alone: number[][]; inStorm: number[]; stormMs: number } = { alone: [], inStorm: [], stormMs: 0 };
  const aloneMs = () => sum(timings.alone.map(sum)) / timings.alone.length;
  let sentSoFar = 0;
  /** Resolves when the storm has sent this share of its updates: the moment the customer steps in. */
  let midway = () => {};
  const reachedMidway = new Promise<void>((resolve) => {
    midway = resolve;
  });
  const countSent = () => {
    if (++sentSoFar >= HOSTILE_UPDATES * 0.4) midway();
  };
  /** The flood: every flooder's burst is released at one moment, with the customer right behind it. */
  let floodersReady = () => {};
  const allFloodersReady = new Promise<void>((resolve) => {
    floodersReady = resolve;
  });
  let ready = 0;
  let releaseFlood = () => {};
  const flood = new Promise<void>((resolve) => {
    releaseFlood = resolve;
  });

  /** /start, the name, the own contact, as a person does it; returns the milliseconds each step took to be answered. */
  async function handInLead(user: FakeUser, phone: string): Promise<number[]> {
    const steps: number[] = [];
    let started = performance.now();
    const lap = () => {
      const now = performance.now();
      steps.push(now - started);
      started = now;
    };
    t.telegram.sendText(user, "/start");
    await t.telegram.nextMessage(user.id, WAIT);
    expect((await t.telegram.nextMessage(user.id, WAIT)).plainText).toBe(textOf("name-ask", { suggested: "yes" }));
    lap();
    t.telegram.sendText(user, user.first_name);
    expect((await t.telegram.nextMessage(user.id, WAIT)).plainText).toMatch(patternOf("phone-ask"));
    lap();
    t.telegram.sendContact(user, { phone_number: phone, first_name: user.first_name, user_id: user.id });
    const done = await t.telegram.nextMessage(user.id, WAIT);
    lap();
    expect(done.plainText).toMatch(patternOf("lead-created"));
    return steps;
  }

  /** Sends one update and, unless the bot never gets it, waits until the bot has handled it. */
  async function sendAndWait(owner: HostileUser, update: HostileUpdate, hit: number | undefined): Promise<void> {
    const before = update.chatId === undefined ? 0 : t.telegram.sent(update.chatId).length;
    const updateId = update.send(t.telegram);
    countSent();
    if (update.delivery !== "never-delivered") await watch.wait(updateId, update.label);
    const own = update.delivery === "private-message" || update.delivery === "private-callback";
    const records = own && update.chatId !== undefined ? t.telegram.sent(update.chatId).slice(before) : [];
    outcomes.push({ owner, update, updateId, hit, records });
  }

  /**
   * A user's updates one after the other, each once the previous was handled and the user's think time
   * has passed; a flooder then sends the rest at once, when the flood is released. The pauses shape the
   * load (people type at their own pace, the storm does not wait for the bot to be free); no assertion
   * waits for time.
   */
  async function play(owner: HostileUser): Promise<void> {
    await pause(owner.startAfterMs);
    let hits = 0;
    const paced = owner.flooder ? owner.updates.slice(0, RATE_LIMIT) : owner.updates;
    for (const [i, update] of paced.entries()) {
      await pause(owner.pausesMs[i] ?? 0);
      const reaches = update.delivery !== "never-delivered";
      await sendAndWait(owner, update, reaches ? ++hits : undefined);
    }
    if (!owner.flooder) return;
    if (++ready === FLOODERS) floodersReady();
    await flood;
    const burst = owner.updates.slice(RATE_LIMIT);
    const before = t.telegram.sent(owner.user.id).length;
    const ids = burst.map((update) => {
      countSent();
      return update.send(t.telegram);
    });
    await Promise.all(ids.map((id, i) => watch.wait(id, burst[i]?.label ?? "")));
    bursts.push({ owner, updates: burst, records: t.telegram.sent(owner.user.id).slice(before) });
  }

  beforeAll(async () => {
    // Production's limit, its window longer than the run: which update is beyond it does not depend on when the window turns.
    t = await startTestApp({ runtime: { rateLimit: { limit: RATE_LIMIT, windowMs: 10 * 60_000 } } });
    watch = watchHandled(() => t.logText());
    const customer = (id: number): FakeUser => ({ id, first_name: "Анна", language_code: "ru" });

    // Warm-up (not measured), then the customer alone.
    await handInLead(customer(920_001), customerPhones[0] ?? "");
    timings.alone.push(await handInLead(customer(920_002), customerPhones[1] ?? ""));

    const started = performance.now();
    const storm = Promise.all(plan.users.map((owner) => play(owner)));
    // The same customer steps in once the storm is well under way, right behind the flood of 210 updates.
    // The race ends the wait if a user's updates went unhandled (the storm rejects); it cannot end sooner, as flooders wait for the flood.
    await Promise.race([Promise.all([reachedMidway, allFloodersReady]), storm]);
    releaseFlood();
    // The flooders' bursts go into the queue in the continuations the release runs, before any macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    const sentBefore = sentSoFar;
    timings.inStorm = await handInLead(customer(920_003), customerPhones[2] ?? "");
    const sentMeanwhile = sentSoFar - sentBefore;
    await storm;
    timings.stormMs = performance.now() - started;

    timings.alone.push(await handInLead(customer(920_004), customerPhones[3] ?? ""));
    const steps = (run: number[]) => `${Math.round(sum(run))} ms (${run.map(Math.round).join(" + ")})`;
    console.log(
      `hostile storm: ${sentSoFar} updates in ${Math.round(timings.stormMs)} ms. A customer's lead (/start, name, contact) took ` +
        `${steps(timings.inStorm)} in the storm (right behind a flood of ${sum(plan.users.filter((u) => u.flooder).map((u) => u.updates.length - RATE_LIMIT))} updates; ${sentMeanwhile} more came meanwhile), ${timings.alone.map(steps).join(" and ")} alone: ratio ${(sum(timings.inStorm) / aloneMs()).toFixed(2)}`,
    );
  }, 120_000);

  afterAll(async () => {
    watch?.stop();
    await t?.close();
  });

  it("sends exactly the planned storm", () => {
    expect(sentSoFar).toBe(HOSTILE_UPDATES);
    expect(plan.users).toHaveLength(HOSTILE_USERS);
    // Only the flooders go beyond the limit with the updates that reach the bot.
    const reaching = (u: HostileUser) => u.updates.filter((update) => update.delivery !== "never-delivered").length;
    expect(plan.users.filter((u) => reaching(u) > RATE_LIMIT).map((u) => u.user.id)).toEqual(
      plan.users.filter((u) => u.flooder).map((u) => u.user.id),
    );
    expect(plan.users.filter((u) => u.flooder)).toHaveLength(FLOODERS);
  });

  it("survives: still answers /help and its health checks, and no update failed", async () => {
    const late: FakeUser = { id: 920_099, first_name: "Пётр", language_code: "ru" };
    t.telegram.sendText(late, "/help");
    expect((await t.telegram.nextMessage(late.id, WAIT)).plainText).toBe(textOf("help"));
    const port = t.app.httpAddress()?.port;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    const failed = [...watch.handled.values()].filter((line) => line.outcome !== "handled");
    expect(failed, "updates whose handling failed").toEqual([]);
    const apologies = outcomes.filter((o) => o.records.some((r) => isErrorApology(r.plainText ?? "")));
    expect(apologies.map(describeOutcome), "private chats told 'something went wrong'").toEqual([]);
  });

  it("answers every private message and callback query the rate limit let through", () => {
    const owed = outcomes.filter((o) => o.hit !== undefined && o.hit <= RATE_LIMIT);
    const messages = owed.filter((o) => o.update.delivery === "private-message");
    expect(messages.length).toBeGreaterThan(500);
    const unanswered = messages.filter((o) => !o.records.some((r) => r.method === "sendMessage" && !isLaterNotice(r.plainText ?? "")));
    expect(unanswered.map(describeOutcome), "private messages without an answer").toEqual([]);

    const queries = owed.filter((o) => o.update.callbackId !== undefined);
    expect(queries.length).toBeGreaterThan(20);
    const answersTo = (id: string | undefined) =>
      t.telegram.calls.filter((c) => c.method === "answerCallbackQuery" && c.body.callback_query_id === id);
    const unanswered_queries = queries.filter((o) => answersTo(o.update.callbackId).length !== 1);
    expect(unanswered_queries.map((o) => `${describeOutcome(o)}: ${answersTo(o.update.callbackId).length} answers`)).toEqual([]);
  });

  it("answers a flooder's burst with one notice for the first update beyond the limit, and nothing else", () => {
    expect(bursts).toHaveLength(FLOODERS);
    for (const burst of bursts) {
      const shown = burst.records.filter((r) => !isLaterNotice(r.plainText ?? "")).map((r) => r.plainText ?? "");
      expect(shown, `user ${burst.owner.user.id}'s burst of ${burst.updates.length}`).toHaveLength(1);
      expect(isRateLimitNotice(shown[0] ?? ""), `user ${burst.owner.user.id} got ${JSON.stringify(shown[0])}`).toBe(true);
      // Dropped before any work: no callback query of the burst was answered either.
      const ids = new Set(burst.updates.map((u) => u.callbackId).filter((id) => id !== undefined));
      expect(t.telegram.calls.filter((c) => c.method === "answerCallbackQuery" && ids.has(String(c.body.callback_query_id)))).toEqual([]);
    }
    // Nobody within the limit ever saw the notice.
    const noticed = outcomes.filter((o) => o.records.some((r) => isRateLimitNotice(r.plainText ?? "")));
    expect(noticed.map(describeOutcome)).toEqual([]);
  });

  it("answers in groups only when addressed, and only with the pointer to the private chat", () => {
    const pointer = inAnyLocale("group-pointer");
    const groupUpdates = outcomes.filter((o) => o.update.delivery === "group-message");
    expect(groupUpdates.length).toBeGreaterThan(30);
    for (const group of plan.groups) {
      const records = t.telegram.sent(group);
      const odd = records.filter((r) => r.method !== "sendMessage" || !pointer.has(r.plainText ?? "") || r.reply_markup !== undefined);
      expect(
        odd.map((r) => `${r.method} ${JSON.stringify(r.plainText)}`),
        `group ${group}: only the pointer`,
      ).toEqual([]);
      const sent = groupUpdates.filter((o) => o.update.chatId === group);
      const addressed = sent.filter((o) => o.update.addressed);
      expect(
        records.length,
        `group ${group}: ${addressed.length} of ${sent.length} messages addressed the bot (${addressed.map((o) => o.update.label).join("; ")})`,
      ).toBe(addressed.length);
    }
  });

  it("never receives the edits and channel posts it did not ask for, and posts nothing to the channel", () => {
    expect(outcomes.filter((o) => o.update.delivery === "never-delivered").length).toBeGreaterThan(40);
    const kinds = new Set([...watch.handled.values()].map((line) => line.kind));
    expect([...kinds].sort()).toEqual(["callback_query", "message"]);
    expect(t.telegram.sent(plan.channel)).toEqual([]);
  });

  it("makes no Bot API call the fake refuses", () => {
    const refused = t.telegram.calls.filter((c) => c.error !== undefined);
    expect(refused.map((c) => `${c.method} ${c.error?.code} ${c.error?.description}`)).toEqual([]);
  });

  it("keeps phone numbers, in any writing, and typed text out of the logs", () => {
    // Timestamps are the only long numbers a log line may carry.
    const log = t.logText().replace(/"time":\d+/g, "");
    const digitsOf = (text: string) =>
      text
        .replace(/[\uFF10-\uFF19]/g, (d) => String(d.charCodeAt(0) - 0xff10))
        .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
        // What people put between digits (spaces, dashes, brackets, dots, invisible marks) is taken out.
        .replace(/(?<=\d)[\s\-().+/\u00AD\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]+(?=\d)/g, "");
    const collapsed = log.split("\n").map(digitsOf);
    const longRuns = collapsed.filter((line) => /\d{10,}/.test(line));
    expect
      .soft(
        longRuns.map((line) => line.slice(0, 400)),
        "log lines with a run of 10+ digits",
      )
      .toEqual([]);
    const phones = [...plan.phones, ...customerPhones];
    expect.soft(phones.filter((phone) => collapsed.some((line) => line.includes(phone.slice(-10))))).toEqual([]);
    expect
      .soft(
        log
          .split("\n")
          .filter((line) => line.includes(TYPED_MARKER))
          .map((line) => line.slice(0, 400)),
        "log lines with text a person typed",
      )
      .toEqual([]);
  });

  it("tells no one the number of a lead that came from another chat", async () => {
    const leads = await t.app.store.leads.listCreatedBetween(0, Date.now() + 1);
    const chatOfNumber = new Map(leads.filter((l) => l.brainysoftId !== undefined).map((l) => [l.brainysoftId, l.chatId]));
    expect(chatOfNumber.size).toBeGreaterThan(4);
    const leaks: string[] = [];
    for (const chatId of [...plan.users.map((u) => u.user.id), ...plan.groups]) {
      for (const record of t.telegram.sent(chatId)) {
        for (const [, number] of (record.plainText ?? "").matchAll(/№ (\d+)/g)) {
          const owner = chatOfNumber.get(Number(number));
          if (owner !== chatId)
            leaks.push(`chat ${chatId} was shown lead № ${number} of chat ${owner}: ${JSON.stringify(record.plainText)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it("answers a normal customer's lead in the middle of it about as fast as alone", () => {
    // The machine is shared (runs here ranged from 0.4x to 12x alone): only a generous bound. The ratio is printed above.
    const inStorm = sum(timings.inStorm);
    expect(inStorm).toBeLessThan(5 * aloneMs() + 2_000);
    expect(inStorm).toBeLessThan(5_000);
  });
});

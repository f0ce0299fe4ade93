/**
 * Customers applying through the fake Telegram (/start, their name, their own contact), many at once,
 * and what each of them and the mock Brainysoft must have seen afterwards: the conversation's messages in
 * order, one lead number, the lead in Brainysoft exactly once.
 */
import type { FakeTelegram, FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import type { MockBrainysoft } from "../../src/fakes/mock-brainysoft.js";
import { patternOf, textOf } from "../harness/locale.js";

export interface Customer {
  user: FakeUser;
  /** The digits Brainysoft should receive. */
  phone: string;
  /** Ids of the updates sent for this customer so far. */
  updates: number[];
}

/** Distinct customers with valid Russian mobiles; `first` keeps sets of one test apart. */
export function customers(count: number, first = 0): Customer[] {
  return Array.from({ length: count }, (_, i) => ({
    user: { id: 8_100_000 + first + i, first_name: "Анна", language_code: "ru" },
    phone: `7977${String(first + i).padStart(7, "0")}`,
    updates: [],
  }));
}

/** Keys of the messages a customer can see here, matched against the whole text. */
const KEYS = [
  "start-greeting",
  "name-ask",
  "phone-ask",
  "lead-created",
  "lead-queued",
  "lead-delivered-later",
  "lead-duplicate",
  "lead-duplicate-pending",
  "error-generic",
  "rate-limited",
  "fallback-pointer",
  "phone-refused",
];
// The bot offers the name Telegram has on a button, so its question takes the "yes" variant.
// A name taken as a phone (the name's step was taken although the bot apologised) has letters in it.
const VARS: Record<string, Record<string, string>> = { "name-ask": { suggested: "yes" }, "phone-refused": { reason: "letters" } };
const PATTERNS = KEYS.map((key) => [key, patternOf(key, "ru", { whole: true, vars: VARS[key] ?? {} })] as const);

const NOT_UNDERSTOOD = `${textOf("input-not-understood")} `;

/**
 * The locale key of a message, or its text in quotes when no key matches. A question asked again after
 * "I did not understand that" is `again:` and the question's key.
 */
export function keyOf(message: SentMessage): string {
  const text = message.plainText ?? "";
  const question = text.startsWith(NOT_UNDERSTOOD) ? text.slice(NOT_UNDERSTOOD.length) : undefined;
  const key = PATTERNS.find(([, pattern]) => pattern.test(question ?? text))?.[0];
  if (key === undefined) return JSON.stringify(text);
  return question === undefined ? key : `again:${key}`;
}

const FINAL = new Set(["lead-created", "lead-delivered-later", "lead-duplicate"]);
/** Each step's message, and the answer that ends it (the first answer to /start is the greeting). */
const STEPS = [
  { send: (t: FakeTelegram, c: Customer) => c.updates.push(t.sendText(c.user, "/start")), until: (key: string) => key === "name-ask" },
  {
    send: (t: FakeTelegram, c: Customer) => c.updates.push(t.sendText(c.user, c.user.first_name)),
    // The name sent again after an apology, although the first was taken: the bot is at the phone already.
    until: (key: string) => key === "phone-ask" || key === "phone-refused",
  },
  {
    send: (t: FakeTelegram, c: Customer) =>
      c.updates.push(t.sendContact(c.user, { phone_number: `+${c.phone}`, first_name: c.user.first_name, user_id: c.user.id })),
    until: (key: string) => FINAL.has(key),
  },
];

/** For "again:<question>", the step whose answer is that question (the conversation is back after it). */
function stepAskedAgain(key: string): number | undefined {
  const question = key.startsWith("again:") ? key.slice("again:".length) : undefined;
  const step = question === undefined ? -1 : STEPS.findIndex((earlier) => earlier.until(question));
  return step >= 0 ? step : undefined;
}

/**
 * Takes each customer through the steps from `fromStep`, `concurrency` at a time. A step the bot answered
 * with its apology (its handling was cut by a failure) is sent again, as a person would, and when the
 * bot then points to /start, the customer begins again.
 */
export async function apply(
  telegram: FakeTelegram,
  list: Customer[],
  options: { concurrency: number; waitMs: number; fromStep?: number; toStep?: number },
): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  async function one(c: Customer): Promise<void> {
    let restarts = 0;
    for (let i = options.fromStep ?? 0; i < (options.toStep ?? STEPS.length); i++) {
      const step = STEPS[i];
      step?.send(telegram, c);
      for (let resent = 0; step; ) {
        const key = keyOf(await telegram.nextMessage(c.user.id, options.waitMs));
        if (step.until(key)) break;
        if (key === "error-generic" && resent++ < 3) step.send(telegram, c);
        // The failure cut a step before it was recorded, and the bot asks its question again (or points
        // to /start when it was the first): go back to that step.
        const back = key === "fallback-pointer" ? -1 : stepAskedAgain(key);
        if (back !== undefined && back < i && restarts++ < 3) {
          i = back;
          break;
        }
      }
    }
  }
  async function worker(): Promise<void> {
    for (let c = list[next++]; c; c = list[next++]) {
      await one(c).catch((error: unknown) => {
        const seen = telegram.sent(c.user.id).map(keyOf).join(", ");
        failures.push(`${c.user.id} (saw ${seen}): ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      });
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, list.length) }, worker));
  return failures;
}

/** "№ 1000" in a message: the lead number. */
function numberIn(message: SentMessage): number | undefined {
  const match = /№ (\d+)/.exec(message.plainText ?? "");
  return match ? Number(match[1]) : undefined;
}

const CONVERSATION = ["start-greeting", "name-ask", "phone-ask"];
/**
 * How the contact step may end: with the number at once; saved, with the number later; and, when the
 * replica handling it died and Telegram re-sent the contact to another, the answer to a lead already
 * there, its number at once or later.
 */
const ENDINGS = [
  ["lead-created"],
  ["lead-queued", "lead-delivered-later"],
  ["lead-duplicate-pending", "lead-delivered-later"],
  ["lead-duplicate"],
];

/**
 * What is wrong after every customer applied once: a customer whose messages are not the conversation
 * in order (apologies for cut steps aside) with one lead number at the end, or whose lead Brainysoft
 * created other than exactly once, or got a number that is not theirs.
 *
 * `cut`: updates a replica was handling when it was killed. Telegram sends such an update again, and
 * what the dead replica had already sent for it is sent again by the next: that step's answer twice,
 * or after the number the answer to a lead already there, with the same number. A step sent again
 * after an apology may be answered twice too.
 */
export function problems(telegram: FakeTelegram, crm: MockBrainysoft, list: Customer[], cut = new Set<number>()): string[] {
  const found: string[] = [];
  const created = new Map<string, number[]>();
  for (const { body, id } of crm.created) {
    const phone = String(body.mobilePhone);
    if (id !== undefined) created.set(phone, [...(created.get(phone) ?? []), id]);
  }
  for (const c of list) {
    const messages = telegram.sent(c.user.id).filter((m) => m.method === "sendMessage");
    const wasCut = c.updates.some((id) => cut.has(id));
    const all = messages.map(keyOf);
    // After an apology, a conversation that never got going is begun again (what `apply` does).
    const begunAgain = all.includes("error-generic") ? all.lastIndexOf("fallback-pointer") + 1 : 0;
    // A step sent again after an apology, or re-sent by Telegram after a replica died, is answered again.
    const repeats = wasCut || all.includes("error-generic");
    const keys = all
      .slice(begunAgain)
      .filter(
        (key, i, kept) =>
          key !== "error-generic" && !(repeats && (kept.indexOf(key) < i || key.startsWith("again:") || key === "phone-refused")),
      );
    const numbers = messages.map(numberIn).filter((n): n is number => n !== undefined);
    const told = wasCut ? [...new Set(numbers)] : numbers;
    const endings = wasCut ? [...ENDINGS, ...ENDINGS.map((ending) => [...ending, "lead-duplicate"])] : ENDINGS;
    const ids = created.get(c.phone) ?? [];
    if (!endings.some((ending) => [...CONVERSATION, ...ending].join() === keys.join())) found.push(`${c.user.id} saw ${keys.join(", ")}`);
    if (ids.length !== 1) found.push(`${c.phone}: Brainysoft created ${ids.length} leads`);
    if (told.length !== 1 || told[0] !== ids[0] || numbers.length > 2)
      found.push(`${c.user.id} was told numbers [${numbers.join()}], Brainysoft has [${ids.join()}]`);
  }
  const ours = new Set(list.map((c) => c.phone));
  const strangers = [...created.keys()].filter((phone) => !ours.has(phone));
  if (strangers.length > 0) found.push(`Brainysoft got leads nobody applied for: ${strangers.join()}`);
  return found;
}

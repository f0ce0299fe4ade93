/**
 * Customers for the load bench: each sends /start, their name, then shares their own contact, through the
 * fake Telegram, waiting for the bot's answer to each step before the next; `concurrency` of them at a
 * time, a new one starting as soon as one is done, until `count` have finished.
 */
import { performance } from "node:perf_hooks";
import type { FakeTelegram, FakeUser } from "../../src/fakes/fake-telegram.js";

/** Messages the bot sends for each step: greeting and name question; phone question; the lead number. */
const STEPS = [
  { name: "/start", answers: 2 },
  { name: "name", answers: 1 },
  { name: "contact", answers: 1 },
] as const;
export const STEP_NAMES = STEPS.map((s) => s.name);

export interface Customer {
  user: FakeUser;
  /** The digits the CRM should receive. */
  phone: string;
}

export interface CustomerRun {
  /** Per step (STEP_NAMES order): ms from the message reaching the fake Telegram to the bot's last answer to it. */
  stepMs: number[][];
  /** The bot's last answer to each customer (the lead number), by phone. */
  finalText: Map<string, string>;
  failures: string[];
  wallMs: number;
}

/** Distinct customers and valid Russian mobiles (+7 977 ...), none shared with the big store's history. */
export function customer(index: number): Customer {
  return {
    user: { id: 7_000_000 + index, first_name: "Анна", language_code: "ru" },
    phone: `7977${String(index).padStart(7, "0")}`,
  };
}

export async function driveCustomers(
  telegram: FakeTelegram,
  options: { count: number; concurrency: number; answerTimeoutMs: number; firstCustomer: number },
): Promise<CustomerRun> {
  const stepMs: number[][] = STEPS.map(() => []);
  const finalText = new Map<string, string>();
  const failures: string[] = [];
  let next = 0;

  async function one(c: Customer): Promise<void> {
    const send = [
      () => telegram.sendText(c.user, "/start"),
      () => telegram.sendText(c.user, c.user.first_name),
      () => telegram.sendContact(c.user, { phone_number: `+${c.phone}`, first_name: c.user.first_name, user_id: c.user.id }),
    ];
    for (const [i, step] of STEPS.entries()) {
      const started = performance.now();
      send[i]?.();
      let last = "";
      for (let k = 0; k < step.answers; k++) {
        last = (await telegram.nextMessage(c.user.id, options.answerTimeoutMs)).plainText ?? "";
      }
      stepMs[i]?.push(performance.now() - started);
      if (i === STEPS.length - 1) finalText.set(c.phone, last);
    }
  }

  async function worker(): Promise<void> {
    while (next < options.count) {
      const c = customer(options.firstCustomer + next++);
      await one(c).catch((error: unknown) => {
        failures.push(`customer ${c.user.id}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      });
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  return { stepMs, finalText, failures, wallMs: performance.now() - started };
}

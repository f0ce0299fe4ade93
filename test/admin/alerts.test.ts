import { afterEach, describe, expect, it, vi } from "vitest";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { patternOf, textOf, valueIn } from "../harness/locale.js";
import { startTestApp, type TestApp, type TestAppOptions } from "../harness/test-app.js";
import { ADMIN_ENV, admin, customerLead, inbox, plain, secondAdmin, WAIT } from "./helpers.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  vi.useRealTimers();
});

/**
 * The bot runs on fake timers from its start, so that a timer's time (the fold window, the quiet time of
 * an absence check) is moved on by the test instead of waited out. Only setTimeout: HTTP, SQLite and the
 * clocks stay real, and the fake timers also pass with real time, so the bot's other timers (retries,
 * long polling) run as usual.
 */
async function start(options: TestAppOptions = {}) {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true, shouldClearNativeTimers: true });
  t = await startTestApp({ ...options, env: { ...ADMIN_ENV, ...options.env } });
  return t;
}

const customer = (i: number): FakeUser => ({ id: 6000 + i, first_name: "Мария", language_code: "ru" });
/** Distinct valid Russian mobiles: 7 926 100-00-00 and up. */
const phone = (i: number) => `+7 926 1${String(i).padStart(6, "0")}`;
const admins = [admin, secondAdmin];

/**
 * "Nothing more is sent within `quietMs`", without waiting: the fake timers are moved on by `quietMs`, so
 * whatever a timer would decide by then is decided; then the test causes a new alert. Alerts go out one
 * after another through one queue, so this one (refused credentials are told at the first refusal) reaches
 * every admin after any alert decided before it. Each of `who` has read the `told` messages so far: their
 * next unread message must be the new alert, and their inbox then holds those and it.
 */
async function nothingMoreWithin(quietMs: number, app: TestApp, who: readonly FakeUser[], told: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(quietMs);
  app.crm.setFault("unauthorized");
  expect(plain(await customerLead(app, customer(99), phone(99)))).toMatch(patternOf("lead-queued"));
  for (const admin of who) {
    const next = plain(await app.telegram.nextMessage(admin.id, WAIT));
    expect(next).toMatch(patternOf("alert-crm-auth", "ru", { whole: true, vars: { detail: "HTTP 401" } }));
    expect(inbox(app, admin)).toHaveLength(told + 1);
  }
}

describe("alerts to admins", () => {
  it("an outage gives exactly one alert and one recovery message while twenty leads queue", async () => {
    const app = await start();
    app.crm.setFault("http503");
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => customerLead(app, customer(i), phone(i))));
    for (const answer of answers) expect(plain(answer)).toMatch(patternOf("lead-queued"));

    for (const who of admins) {
      const alert = await app.telegram.nextMessage(who.id, WAIT);
      expect(plain(alert)).toMatch(patternOf("alert-crm-down", "ru", { whole: true, vars: { detail: "HTTP 503 non-JSON body" } }));
    }
    // The worker keeps retrying all twenty: many more failed calls, still one message.
    await expect.poll(() => app.crm.received.length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(80);
    for (const who of admins) expect(inbox(app, who)).toHaveLength(1);
    const failedCalls = app.crm.received.length;

    app.crm.setFault("none");
    await app.crm.waitForCreated(20, 15_000);
    for (const who of admins) {
      const recovery = plain(await app.telegram.nextMessage(who.id, WAIT));
      expect(recovery).toMatch(patternOf("alert-crm-recovered", "ru", { whole: true }));
      const folded = Number(valueIn("alert-crm-recovered", "failures", recovery));
      expect(folded).toBeGreaterThanOrEqual(failedCalls);
      expect(folded).toBeLessThanOrEqual(app.crm.received.length - app.crm.created.length);
    }
    const journal = await app.app.store.events.recent(10, 0, { kinds: ["outage", "recovered"] });
    expect(journal.map((e) => e.kind)).toEqual(["recovered", "outage"]);
    await nothingMoreWithin(1_500, app, admins, 2);
  }, 60_000);

  it("refused credentials are told at once, once, and so is the recovery", async () => {
    const app = await start();
    app.crm.setFault("unauthorized");
    expect(plain(await customerLead(app, customer(1), phone(1)))).toMatch(patternOf("lead-queued"));
    const alert = plain(await app.telegram.nextMessage(admin.id, WAIT));
    expect(alert).toMatch(patternOf("alert-crm-auth", "ru", { whole: true, vars: { detail: "HTTP 401" } }));
    expect(alert).not.toContain("crm-secret-token-42");
    await expect.poll(() => app.crm.received.length, { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(5);
    app.crm.setFault("none");
    await app.crm.waitForCreated(1, 10_000);
    expect(plain(await app.telegram.nextMessage(admin.id, WAIT))).toMatch(
      patternOf("alert-crm-recovered", "ru", { whole: true, vars: { pending: "0" } }),
    );
    await nothingMoreWithin(1_000, app, [admin], 2);
  }, 30_000);

  it("a lead that fails for good is told with its number; the next ones are folded into one count", async () => {
    const app = await start({ env: { LEAD_MAX_AGE: "1500" }, alerts: { foldLeadFailuresMs: 5_000 } });
    app.crm.setFault("http503");
    await Promise.all([1, 2, 3].map((i) => customerLead(app, customer(i), phone(i))));
    expect(plain(await app.telegram.nextMessage(admin.id, WAIT))).toMatch(patternOf("alert-crm-down", "ru", { whole: true }));
    const first = plain(await app.telegram.nextMessage(admin.id, WAIT));
    const failed = { state: "failed", source: textOf("source-customer"), reason: "HTTP 503 non-JSON body" };
    expect(first).toMatch(patternOf("alert-lead-failed", "ru", { whole: true, vars: failed }));
    expect(valueIn("alert-lead-failed", "phone", first)).toMatch(/^\+7 926 \*\*\*-\*\*-0[123]$/);
    const id = valueIn("alert-lead-failed", "id", first);
    expect(first).toContain(`/retry ${id} `);
    // The other two fail within the window the first one opened; then no call is in flight when it is moved on.
    await expect.poll(async () => (await app.app.store.leads.countByState()).failed, { timeout: WAIT }).toBe(3);
    await vi.advanceTimersByTimeAsync(5_000);
    const summary = plain(await app.telegram.nextMessage(admin.id, WAIT));
    expect(summary).toBe(textOf("alert-leads-failed-more", { count: 2, duration: textOf("unit-seconds", { n: 5 }) }));
    // The summary opened a new window, which closes with nothing in it: it tells nothing.
    await nothingMoreWithin(5_000, app, [admin], 3);
  }, 40_000);
});

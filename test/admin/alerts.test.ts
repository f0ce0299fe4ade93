import { afterEach, describe, expect, it } from "vitest";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { patternOf, textOf, valueIn } from "../harness/locale.js";
import { startTestApp, type TestApp, type TestAppOptions } from "../harness/test-app.js";
import { ADMIN_ENV, admin, customerLead, inbox, plain, secondAdmin, WAIT } from "./helpers.js";

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(options: TestAppOptions = {}) {
  t = await startTestApp({ ...options, env: { ...ADMIN_ENV, ...options.env } });
  return t;
}

const customer = (i: number): FakeUser => ({ id: 6000 + i, first_name: "Мария", language_code: "ru" });
/** Distinct valid Russian mobiles: 7 926 100-00-00 and up. */
const phone = (i: number) => `+7 926 1${String(i).padStart(6, "0")}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const admins = [admin, secondAdmin];

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
    await sleep(1_500);
    for (const who of admins) expect(inbox(app, who)).toHaveLength(2);
    const journal = await app.app.store.events.recent(10, 0, { kinds: ["outage", "recovered"] });
    expect(journal.map((e) => e.kind)).toEqual(["recovered", "outage"]);
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
    await sleep(1_000);
    expect(inbox(app, admin)).toHaveLength(2);
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
    const summary = plain(await app.telegram.nextMessage(admin.id, 15_000));
    expect(summary).toBe(textOf("alert-leads-failed-more", { count: 2, duration: textOf("unit-seconds", { n: 5 }) }));
    expect((await app.app.store.leads.countByState()).failed).toBe(3);
    await sleep(1_000);
    expect(inbox(app, admin)).toHaveLength(3);
  }, 40_000);
});

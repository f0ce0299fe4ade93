/**
 * Fault injection, Brainysoft half (issue 12): the real bot over HTTP (fake Telegram, mock
 * Brainysoft, SQLite file) meets the answers a broken core or proxy gives. For each, Brainysoft gets
 * the person's lead exactly once (a lead held for a human is never sent again), and the person gets
 * a truthful answer.
 *
 * How each answer is classified (src/brainysoft/classify.ts):
 * - a 2xx that names no lead (empty, HTML, over 1 MiB, cut off, trickling past the time limit): maybe
 *   created, so "unconfirmed": held (state rejected, last error "unconfirmed"), admins alerted, never re-sent;
 * - a 400 without a body: a refusal ("rejected"), not re-sent;
 * - a 302 (never followed) or a reset in a 500's body: the request created nothing, so "transient":
 *   kept and sent again, and the one lead arrives.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SentMessage } from "../../src/fakes/fake-telegram.js";
import { patternOf } from "../harness/locale.js";
import type { MockFault } from "../../src/fakes/mock-brainysoft.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { customer, phoneOf, upToPhone, WAIT } from "../runtime/helpers.js";

const ADMIN = { id: 9001, first_name: "Admin", language_code: "ru" };
const AGENT = { id: 9002, first_name: "Оператор", language_code: "ru" };

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface FaultCase {
  fault: MockFault;
  opts?: { times?: number; slowMs?: number; status?: number };
  /** The person's answer to their phone. */
  answer: "lead-unconfirmed" | "lead-rejected" | "lead-queued";
  /** Lead requests Brainysoft received for the person, and how many leads it made of them. */
  requests: number;
  created: number;
}

const CASES: Array<[string, FaultCase]> = [
  ["an empty 200", { fault: "empty200", answer: "lead-unconfirmed", requests: 1, created: 0 }],
  ["an HTML 200", { fault: "non-json", answer: "lead-unconfirmed", requests: 1, created: 0 }],
  ["a 200 with a 5 MB body", { fault: "huge200", answer: "lead-unconfirmed", requests: 1, created: 0 }],
  ["a 302 (once)", { fault: "redirect302", opts: { times: 1 }, answer: "lead-queued", requests: 2, created: 1 }],
  ["a 400 with no body", { fault: "empty400", answer: "lead-rejected", requests: 1, created: 0 }],
  ["a connection reset in a 200's body", { fault: "reset-mid-body", answer: "lead-unconfirmed", requests: 1, created: 0 }],
  [
    "a connection reset in a 500's body (once)",
    { fault: "reset-mid-body", opts: { times: 1, status: 500 }, answer: "lead-queued", requests: 2, created: 1 },
  ],
  // One byte each 300 ms: the created lead's answer would take about 15 s, the time limit is 2 s.
  [
    "a created lead's answer trickled slowly",
    { fault: "trickle", opts: { slowMs: 300 }, answer: "lead-unconfirmed", requests: 1, created: 1 },
  ],
];

const leadsFor = (app: TestApp, phone: string, list: "received" | "created") =>
  app.crm[list].filter((lead) => lead.body.mobilePhone === phone);

/** A customer hands in a lead through the whole conversation; returns the answer to the phone. */
async function applyFor(app: TestApp, userId: number, phone: string): Promise<SentMessage> {
  const person = customer(userId);
  await upToPhone(app.telegram, person);
  app.telegram.sendText(person, phone);
  return app.telegram.nextMessage(person.id, WAIT);
}

describe("Brainysoft's broken answers, end to end", () => {
  it.each(CASES.map(([name, c], i) => [name, c, i] as const))(
    "%s: the lead reaches Brainysoft once and the person is answered",
    async (_name, c, i) => {
      t = await startTestApp();
      const app = t;
      const phone = phoneOf(300 + i);
      app.crm.setFault(c.fault, c.opts);

      const answer = await applyFor(app, 8300 + i, phone);
      expect(answer.plainText).toMatch(patternOf(c.answer));

      if (c.answer === "lead-queued") {
        // Kept and sent again: the number of the one lead Brainysoft made comes later.
        const later = await app.telegram.waitForMessage(8300 + i, (m) => patternOf("lead-delivered-later").test(m.plainText ?? ""), WAIT);
        const [made] = leadsFor(app, phone, "created");
        expect(later.plainText).toContain(String(made?.id));
      } else {
        // Held or refused: final, so the delivery worker never picks it up again.
        const [lead] = await app.app.store.leads.listByState(["rejected"], 10);
        expect(lead).toMatchObject({ phone, state: "rejected", lastError: c.answer === "lead-unconfirmed" ? "unconfirmed" : "rejected" });
        await app.app.leads.deliverDue();
        expect((await app.app.store.leads.countByState()).pending).toBe(0);
      }
      expect(leadsFor(app, phone, "received")).toHaveLength(c.requests);
      expect(leadsFor(app, phone, "created")).toHaveLength(c.created);
    },
  );

  it("issue 12.3: an empty 200 is never sent again: the person is told a specialist will check, admins are alerted and see it in /pending", async () => {
    t = await startTestApp({ env: { ADMIN_IDS: String(ADMIN.id) } });
    const app = t;
    const phone = phoneOf(399);
    app.crm.setFault("empty200");

    const answer = await applyFor(app, 8399, phone);
    expect(answer.plainText).toMatch(patternOf("lead-unconfirmed"));
    expect(answer.plainText).toContain("+7 977 620-03-99");

    const alert = await app.telegram.nextMessage(ADMIN.id, WAIT);
    expect(alert.plainText).toMatch(patternOf("alert-lead-unconfirmed"));
    expect(alert.plainText).toContain("HTTP 200 empty body");
    expect(alert.plainText).not.toContain(phone); // masked

    app.telegram.sendText(ADMIN, "/pending");
    const pending = await app.telegram.nextMessage(ADMIN.id, WAIT);
    expect(pending.plainText).toMatch(/#\d+ ⛔ .*unconfirmed/);

    // The worker runs every 100 ms in tests, with retries from 200 ms: give it a few of its own sweeps.
    for (let sweep = 0; sweep < 3; sweep++) await app.app.leads.deliverDue();
    expect(leadsFor(app, phone, "received")).toHaveLength(1);
    expect(
      app.telegram
        .sent(8399)
        .filter((m) => m.method === "sendMessage")
        .at(-1),
    ).toBe(answer);
  });

  it("issue 12.3: a lead queued by an outage and then answered with an HTML 200 is held, and the person told a specialist will check", async () => {
    t = await startTestApp();
    const app = t;
    const phone = phoneOf(398);
    app.crm.setFault("http503");
    expect((await applyFor(app, 8398, phone)).plainText).toMatch(patternOf("lead-queued"));

    const beforeSwitch = leadsFor(app, phone, "received").length;
    app.crm.setFault("non-json");
    const later = await app.telegram.nextMessage(8398, WAIT);
    expect(later.plainText).toMatch(patternOf("lead-unconfirmed"));
    for (let sweep = 0; sweep < 3; sweep++) await app.app.leads.deliverDue();
    expect(leadsFor(app, phone, "received")).toHaveLength(beforeSwitch + 1);
    expect(await app.app.store.leads.listByState(["rejected"], 10)).toMatchObject([{ phone, lastError: "unconfirmed", notified: true }]);
  });

  it("issue 12.3: an agent's contact answered with an empty 200 is held, and the agent told not to send it again", async () => {
    t = await startTestApp({ env: { AGENT_IDS: String(AGENT.id) } });
    const app = t;
    app.crm.setFault("empty200");
    app.telegram.sendText(AGENT, "Иван +7 977 620-03-97");
    const line = await app.telegram.nextMessage(AGENT.id, WAIT);
    expect(line.plainText).toMatch(patternOf("agent-unconfirmed"));
    expect(line.plainText).toContain("Иван, +7 977 620-03-97");
    expect(leadsFor(app, "79776200397", "received")).toHaveLength(1);
  });
});

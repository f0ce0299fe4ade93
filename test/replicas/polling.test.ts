/**
 * Two bot processes polling one token on one PostgreSQL: one of them polls at a time (Telegram answers
 * a second long poll with 409, the fake does too), and when it is SIGKILLed the other takes over within
 * seconds and the conversations in progress go on.
 */
import { expect, it } from "vitest";
import { describePostgres } from "../store/postgres-server.js";
import { clusterPerTest, WAIT } from "./cluster.js";
import { apply, customers, problems } from "./customers.js";

const LEADS = "this replica leads: polling Telegram";

await describePostgres("two polling replicas on one PostgreSQL", (url) => {
  const clusters = clusterPerTest(url);

  it("polls from one replica at a time, and the other takes over within 10 s of the leader's death", async () => {
    const c = await clusters.start({ replicas: 2, mode: "polling" });
    const leaderOf = () => c.replicas.findIndex((bot) => bot?.logs().some((line) => line.msg === LEADS));
    await expect.poll(leaderOf, { timeout: WAIT }).toBeGreaterThanOrEqual(0);
    const leader = leaderOf();
    const other = 1 - leader;

    const list = customers(20, 3_000);
    expect(await apply(c.telegram, list, { concurrency: 20, waitMs: WAIT, toStep: 2 })).toEqual([]);
    expect(c.replicas[other]?.logs().some((line) => line.msg === LEADS)).toBe(false);
    // Between two steps: every name is recorded (the update's log line comes once it is remembered as
    // handled). A poller killed within a step is README's "handled at the instant the process died".
    const names = new Set(list.map((customer) => customer.updates[1]));
    const recorded = () => c.replicas[leader]?.logs().filter((line) => line.msg === "update" && names.has(Number(line.update))).length;
    await expect.poll(recorded, { timeout: WAIT }).toBe(list.length);

    await c.kill(leader);
    const killedAt = Date.now();
    await c.replicas[other]?.waitForLog((line) => line.msg === LEADS, 10_000);
    expect(Date.now() - killedAt).toBeLessThan(10_000);

    // The conversations started with the dead leader end with the one that took over.
    expect(await apply(c.telegram, list, { concurrency: 20, waitMs: WAIT, fromStep: 2 })).toEqual([]);
    expect(problems(c.telegram, c.crm, list)).toEqual([]);
    const polls = c.telegram.calls.filter((call) => call.method === "getUpdates");
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.filter((call) => call.error?.code === 409)).toEqual([]);
  }, 180_000);
});

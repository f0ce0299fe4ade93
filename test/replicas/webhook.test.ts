/**
 * Three bot processes on one PostgreSQL in webhook mode, the fake Telegram spreading updates over them
 * round-robin and posting a tenth of them to two replicas at once: each chat's order holds, each update
 * is handled once, each lead reaches Brainysoft once and its person is told once; also when a replica is
 * killed in the middle and started again, and when Brainysoft is down for a while.
 */
import { expect, it } from "vitest";
import { describePostgres } from "../store/postgres-server.js";
import { clusterPerTest, WAIT } from "./cluster.js";
import { apply, customers, keyOf, problems } from "./customers.js";

await describePostgres("three webhook replicas on one PostgreSQL", (url) => {
  const clusters = clusterPerTest(url);
  const start = (env: Record<string, string> = {}) => clusters.start({ replicas: 3, mode: "webhook", redeliverRatio: 0.1, env });

  it("takes 300 customers' leads, each once, each chat in order, while a tenth of the updates arrive twice at once", async () => {
    const c = await start();
    const list = customers(300);
    expect(await apply(c.telegram, list, { concurrency: 60, waitMs: WAIT })).toEqual([]);
    expect(problems(c.telegram, c.crm, list)).toEqual([]);
    expect(c.crm.received).toHaveLength(300);
    // The balancer did its part: every replica got updates, and some updates went to two of them.
    const deliveries = c.telegram.deliveries;
    expect(new Set(deliveries.map((d) => d.target)).size).toBe(3);
    expect(deliveries.length).toBeGreaterThanOrEqual(Math.floor(900 * 1.1));
    const repeated = c.replicas.flatMap((bot) => bot?.logs().filter((line) => line.msg === "repeated update ignored") ?? []);
    expect(repeated.length).toBeGreaterThan(0);
  }, 240_000);

  it("loses nothing and sends nothing twice when a replica is killed in the middle and started again", async () => {
    // A lead whose attempt dies with its replica is taken over after LEAD_LEASE.
    const c = await start({ BRAINYSOFT_TIMEOUT_MS: "2000", LEAD_LEASE: "4s" });
    const list = customers(300, 1_000);
    const applying = apply(c.telegram, list, { concurrency: 60, waitMs: WAIT });
    await expect.poll(() => c.crm.created.length, { timeout: WAIT, interval: 20 }).toBeGreaterThanOrEqual(100);
    // The one gap no client closes (README, "At most one extra copy after a crash"): a replica dying after
    // Brainysoft created a lead and before its store recorded that. Kept out of this test: Brainysoft
    // holds new calls unanswered (creating nothing), and the kill waits until every lead it created is
    // recorded. Everything else is in flight: updates, conversations, the held calls' leases, untold numbers.
    c.crm.setFault("hang");
    await expect.poll(() => c.recordedDeliveries(), { timeout: WAIT, interval: 20 }).toBe(c.crm.created.length);
    const killedAt = Date.now();
    await c.kill(1);
    c.crm.setFault("none");
    const restarted = c.start(1);
    expect(await applying).toEqual([]);
    await restarted;
    // The updates replica 1 took and never answered: Telegram sends them again, to another replica.
    const cut = new Set(
      c.telegram.deliveries.filter((d) => d.target === c.origins[1] && d.status === undefined && d.at <= killedAt).map((d) => d.update_id),
    );
    // Those the dead replica left untold are told by the restarted one; wait for every number.
    await expect.poll(() => problems(c.telegram, c.crm, list, cut), { timeout: WAIT, interval: 200 }).toEqual([]);
  }, 240_000);

  it("delivers each lead once and tells its person once when Brainysoft was down for a while", async () => {
    const c = await start();
    const list = customers(60, 2_000);
    c.crm.setFault("http503");
    expect(await apply(c.telegram, list, { concurrency: 30, waitMs: WAIT, toStep: 2 })).toEqual([]);
    // The contact step ends with the number, once Brainysoft is back.
    const applying = apply(c.telegram, list, { concurrency: 60, waitMs: WAIT, fromStep: 2 });
    const queued = () => list.filter((customer) => c.telegram.sent(customer.user.id).map(keyOf).includes("lead-queued")).length;
    await expect.poll(queued, { timeout: WAIT, interval: 50 }).toBe(60);
    c.crm.setFault("none");
    expect(await applying).toEqual([]);
    expect(problems(c.telegram, c.crm, list)).toEqual([]);
  }, 240_000);
});

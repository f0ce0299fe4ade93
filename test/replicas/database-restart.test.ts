/**
 * PostgreSQL going away under load (every connection dropped, the port refusing) and coming back: the
 * replicas report not ready meanwhile, take no update they cannot record (Telegram keeps it), and go on
 * by themselves afterwards; no lead is lost or sent twice. The shared test server cannot be restarted,
 * so a TCP proxy in front of it does what a restart does to the connections.
 */
import { expect, it } from "vitest";
import { describePostgres } from "../store/postgres-server.js";
import { clusterPerTest, WAIT } from "./cluster.js";
import { apply, customers, problems } from "./customers.js";
import { startTcpProxy } from "./tcp-proxy.js";

await describePostgres("webhook replicas through a PostgreSQL restart", (url) => {
  const clusters = clusterPerTest(url);

  it("loses no lead and sends none twice, and the replicas recover without a restart", async () => {
    const server = new URL(url);
    const p = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    clusters.after(() => p.close());
    const c = await clusters.start({ replicas: 2, mode: "webhook", databaseUrl: p.via(url) });
    const pids = c.replicas.map((bot) => bot?.pid);
    const list = customers(120, 4_000);
    const applying = apply(c.telegram, list, { concurrency: 30, waitMs: WAIT });
    await expect.poll(() => c.crm.created.length, { timeout: WAIT, interval: 20 }).toBeGreaterThanOrEqual(30);

    await p.cut();
    // Both replicas notice and say so on /readyz (and their webhook answers 503: the fake re-sends later).
    for (const i of [0, 1]) await expect.poll(() => c.readyz(i), { timeout: WAIT, interval: 100 }).toBe(503);
    await p.restore();

    expect(await applying).toEqual([]);
    // An update whose handling could not be recorded is answered 503 and sent again: what was sent for it
    // in the chat before the database went away is sent again (a reply twice, or "already there" after the number).
    const cut = new Set(c.telegram.deliveries.filter((d) => d.status !== 200).map((d) => d.update_id));
    await expect.poll(() => problems(c.telegram, c.crm, list, cut), { timeout: WAIT, interval: 200 }).toEqual([]);
    for (const i of [0, 1]) await expect.poll(() => c.readyz(i), { timeout: WAIT, interval: 100 }).toBe(200);
    expect(c.replicas.map((bot) => bot?.pid)).toEqual(pids);
    expect(c.telegram.deliveries.some((d) => d.status === 503)).toBe(true);
  }, 180_000);
});

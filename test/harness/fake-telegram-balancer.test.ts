import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Update } from "grammy/types";
import { afterEach, expect, it } from "vitest";
import { type FakeTelegram, type FakeUser, startFakeTelegram } from "../../src/fakes/fake-telegram.js";

/** What one replica saw: update ids in arrival order, and how many were being handled at once at most. */
interface Replica {
  origin: string;
  seen: number[];
  busyAtMost: number;
  server: Server;
}

const servers: Server[] = [];
/** Every replica's arrivals and answers, in the order they happened: ["in", id] and ["out", id]. */
const events: ["in" | "out", number][] = [];
let fake: FakeTelegram | undefined;

afterEach(async () => {
  await fake?.close();
  events.length = 0;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A replica that answers 200 after `holdMs`, or `status` when given. */
async function replica(holdMs: number, status = 200): Promise<Replica> {
  let busy = 0;
  const self: Replica = { origin: "", seen: [], busyAtMost: 0, server: createServer() };
  self.server.on("request", (req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const id = (JSON.parse(body) as Update).update_id;
      self.seen.push(id);
      events.push(["in", id]);
      self.busyAtMost = Math.max(self.busyAtMost, ++busy);
      setTimeout(() => {
        busy--;
        events.push(["out", id]);
        res.statusCode = status;
        res.end();
      }, holdMs);
    });
  });
  servers.push(self.server);
  await new Promise<void>((resolve) => self.server.listen(0, "127.0.0.1", resolve));
  self.origin = `http://127.0.0.1:${(self.server.address() as AddressInfo).port}`; // listening on TCP: an AddressInfo
  return self;
}

const users: FakeUser[] = Array.from({ length: 10 }, (_, i) => ({ id: 5000 + i, first_name: `U${i}` }));

async function setWebhook(f: FakeTelegram): Promise<void> {
  const res = await fetch(`${f.apiRoot}/bot${f.token}/setWebhook`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: "https://bot.example/telegram?x=1" }),
  });
  expect(res.status).toBe(200);
}

it("spreads updates over the replicas in turn, posts a share to two at once, and keeps each chat's order", async () => {
  const replicas = await Promise.all([replica(15), replica(15), replica(15)]);
  fake = await startFakeTelegram({ webhookBalancer: { targets: replicas.map((r) => r.origin), redeliverRatio: 0.1 } });
  await setWebhook(fake);
  const ids = users.flatMap((user) => [1, 2, 3].map((n) => ({ chat: user.id, id: fake?.sendText(user, `m${n}`) ?? 0 })));
  await expect.poll(() => fake?.pendingUpdates(), { timeout: 10_000 }).toBe(0);

  const posts = fake.deliveries;
  // 30 updates, every tenth post goes twice: 33 posts, spread evenly.
  expect(posts).toHaveLength(33);
  expect(replicas.map((r) => r.seen.length)).toEqual([11, 11, 11]);
  expect(new Set(posts.map((p) => p.target))).toEqual(new Set(replicas.map((r) => r.origin)));
  const twice = posts.filter((p) => posts.filter((q) => q.update_id === p.update_id).length === 2);
  expect(twice).toHaveLength(6);
  for (const [a, b] of [0, 2, 4].map((i) => [twice[i], twice[i + 1]])) {
    expect(a?.update_id).toBe(b?.update_id);
    expect(a?.target).not.toBe(b?.target);
  }
  // Chats travel side by side, a chat's updates one after another.
  expect(Math.max(...replicas.map((r) => r.busyAtMost))).toBeGreaterThan(1);
  for (const user of users) {
    const mine = ids.filter((u) => u.chat === user.id).map((u) => u.id);
    const chatEvents = events.filter(([, id]) => mine.includes(id));
    // In, (in,) out, (out,) for the first update, then the same for the next: never one inside another.
    const order = chatEvents.map(([, id]) => id);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }
});

it("re-sends an update a replica refused to the next one", async () => {
  const [down, up] = await Promise.all([replica(0, 503), replica(0)]);
  if (!down || !up) throw new Error("two replicas were started");
  fake = await startFakeTelegram({ webhookRetryDelayMs: 10, webhookBalancer: { targets: [down.origin, up.origin] } });
  await setWebhook(fake);
  const id = fake.sendText(users[0] ?? { id: 1, first_name: "A" }, "hello");
  await expect.poll(() => fake?.pendingUpdates()).toBe(0);
  expect(fake.deliveries.map((d) => [d.update_id, d.target, d.status])).toEqual([
    [id, down.origin, 503],
    [id, up.origin, 200],
  ]);
  expect(up.seen).toEqual([id]);
});

import { request } from "node:http";
import { createServer, type AddressInfo, type Server } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/demo/sandbox.js";

let sandbox: Sandbox | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

const quiet = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const start = async (port = 0) => (sandbox = await startSandbox({ port, logDestination: quiet() }));

/** node:http rather than fetch: fetch does not let a test set the Host header. */
function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(new URL(options.path, url), { method: options.method ?? "GET", headers: options.headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const post = (url: string, path: string, body: unknown) =>
  fetch(new URL(path, url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("the sandbox's page server", () => {
  it("takes another free port when the one asked for is busy", async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, "127.0.0.1", () => resolve()));
    const busy = (blocker.address() as AddressInfo).port;
    const { url } = await start(busy);
    expect(new URL(url).port).not.toBe(String(busy));
    expect((await fetch(url)).status).toBe(200);
  });

  it("answers only to its own address, and only JSON to writes", async () => {
    const { url, telegram } = await start();
    const rebound = await raw(url, { path: "/demo/info", headers: { host: "attacker.example:3000" } });
    expect(rebound.status).toBe(403);
    const form = await raw(url, {
      method: "POST",
      path: "/control/text",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ user: { id: 1, first_name: "X" }, text: "/start" }),
    });
    expect(form.status).toBe(415);
    expect(telegram.pendingUpdates()).toBe(0);
  });

  it("passes on the user's side of the fake Telegram only", async () => {
    const { url, telegram } = await start();
    const user = { id: 710_001, first_name: "Фридрих", language_code: "ru" };
    expect((await post(url, "control/text", { user, text: "/start" })).status).toBe(200);
    const greeting = await telegram.waitForMessage(user.id, (m) => /Здравствуйте/.test(m.plainText ?? ""), 10_000);
    const read = (await (await fetch(new URL(`control/chats/${user.id}/messages?since=0`, url))).json()) as { messages: { seq: number }[] };
    expect(read.messages.map((m) => m.seq)).toContain(greeting.seq);

    // Raw updates and the bot's call log are the harness's business, not a person's.
    expect((await post(url, "control/update", { update: { message: {} } })).status).toBe(404);
    expect((await fetch(new URL("control/calls", url))).status).toBe(404);
  });

  it("switches Brainysoft's outages and refuses unknown ones", async () => {
    const { url, crmView } = await start();
    expect((await post(url, "demo/crm/fault", { fault: "melted" })).status).toBe(400);
    expect((await post(url, "demo/crm/fault", { fault: "down", padding: "x".repeat(20_000) })).status).toBe(413);
    expect(crmView.fault).toBe("none");
    const answer = (await (await post(url, "demo/crm/fault", { fault: "bad-credentials" })).json()) as { fault: string };
    expect(answer.fault).toBe("bad-credentials");
    const crm = (await (await fetch(new URL("demo/crm", url))).json()) as { fault: string; queue: Record<string, number> };
    expect(crm.fault).toBe("bad-credentials");
    expect(crm.queue).toMatchObject({ pending: 0, delivered: 0 });
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { textOf } from "../harness/locale.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { ADMIN_ENV, admin, plain, say } from "./helpers.js";
import { seedStore } from "./seed.js";

/** /retry answers within 2.5 s here (5 s by default); Brainysoft takes 3.75 s, so 1.25 s separate every answer from every delivery. */
const RETRY_WAIT_MS = 2_500;
const SLOW_MS = 3_750;
const LATER = 20_000;

let dir: string | undefined;
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("/retry against a slow Brainysoft", () => {
  it("answers with what is known so far and lets the attempts go on; the journal tells how they end", async () => {
    dir = mkdtempSync(join(tmpdir(), "admin-queue-"));
    const before = Date.now() - 3_600_000;
    const [first, second] = await seedStore(dir, [
      { at: before, state: "failed", phone: "79161230001" },
      { at: before, state: "failed", phone: "79161230002" },
    ]);
    t = await startTestApp({
      dataDir: dir,
      env: { ...ADMIN_ENV, BRAINYSOFT_TIMEOUT_MS: "30000" },
      runtime: { retryAnswerWithinMs: RETRY_WAIT_MS },
    });
    const app = t;
    app.crm.setFault("slow", { slowMs: SLOW_MS });

    // One lead: the admin hears back before Brainysoft has answered.
    expect(plain(await say(app, admin, `/retry ${first!.id}`))).toBe(textOf("retry-started", { count: 1 }, "en"));
    expect(plain(await app.telegram.nextMessage(admin.id, LATER))).toBe(textOf("retry-one-sending", { id: String(first!.id) }, "en"));
    expect(app.crm.created).toHaveLength(0);

    // All: the first one, already on its way, is not sent a second time, and ends within this wait; the other does not.
    expect(plain(await say(app, admin, "/retry all"))).toBe(textOf("retry-started", { count: 2 }, "en"));
    expect(plain(await app.telegram.nextMessage(admin.id, LATER))).toBe(
      textOf("retry-so-far", { count: 2, delivered: 1, waiting: 0, failed: 0, sending: 1 }, "en"),
    );
    expect(app.crm.created.map((c) => c.body.mobilePhone)).toEqual(["79161230001"]);

    await app.crm.waitForCreated(2, LATER);
    expect(app.crm.received).toHaveLength(2);
    await expect.poll(async () => (await app.app.store.leads.get(second!.id))?.state, { timeout: LATER }).toBe("delivered");
    const delivered = await app.app.store.events.recent(10, 0, { kinds: ["delivered"] });
    expect(delivered.map((e) => e.leadId).sort()).toEqual([first!.id, second!.id].sort());
    const retried = await app.app.store.events.recent(10, 0, { kinds: ["retried"] });
    expect(retried.map((e) => e.leadId).sort()).toEqual([first!.id, first!.id, second!.id].sort());
    expect(plain(await say(app, admin, "/pending"))).toBe(textOf("pending-empty", {}, "en"));
  }, 60_000);
});

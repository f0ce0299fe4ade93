import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { ADMIN_ENV, admin, plain, say } from "./helpers.js";
import { seedStore } from "./seed.js";

/** /retry answers within 5 s; Brainysoft takes 7.5 s here, so 2.5 s separate every answer from every delivery. */
const SLOW_MS = 7_500;
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
    t = await startTestApp({ dataDir: dir, env: { ...ADMIN_ENV, BRAINYSOFT_TIMEOUT_MS: "30000" } });
    const app = t;
    app.crm.setFault("slow", { slowMs: SLOW_MS });

    // One lead: the admin hears back before Brainysoft has answered.
    expect(plain(await say(app, admin, `/retry ${first!.id}`))).toBe("🔄 Sending 1 lead to Brainysoft…");
    expect(plain(await app.telegram.nextMessage(admin.id, LATER))).toBe(
      `Lead #${first!.id} is still on its way to Brainysoft; /pending and /logs will show how it ends.`,
    );
    expect(app.crm.created).toHaveLength(0);

    // All: the first one, already on its way, is not sent a second time, and ends within this wait; the other does not.
    expect(plain(await say(app, admin, "/retry all"))).toBe("🔄 Sending 2 leads to Brainysoft…");
    expect(plain(await app.telegram.nextMessage(admin.id, LATER))).toBe(
      "Sent again: 2. So far ✅ delivered: 1 · ⏳ still waiting: 0 · ❌ failed or rejected: 0; 🔄 still on the way: 1 (/pending and /logs will show how they end).",
    );
    expect(app.crm.created.map((c) => c.body.mobilePhone)).toEqual(["79161230001"]);

    await app.crm.waitForCreated(2, LATER);
    expect(app.crm.received).toHaveLength(2);
    await expect.poll(async () => (await app.app.store.leads.get(second!.id))?.state, { timeout: LATER }).toBe("delivered");
    const delivered = await app.app.store.events.recent(10, 0, { kinds: ["delivered"] });
    expect(delivered.map((e) => e.leadId).sort()).toEqual([first!.id, second!.id].sort());
    const retried = await app.app.store.events.recent(10, 0, { kinds: ["retried"] });
    expect(retried.map((e) => e.leadId).sort()).toEqual([first!.id, first!.id, second!.id].sort());
    expect(plain(await say(app, admin, "/pending"))).toBe("✅ Nothing is waiting: every lead is in Brainysoft.");
  }, 60_000);
});

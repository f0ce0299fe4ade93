/**
 * What the SQLite store alone costs per lead: the statements one customer's three updates make in the
 * load bench (the update ids, the conversation state written twice and deleted, the daily cap, the
 * lead, three journal events, delivered, told), in a temporary directory, one lead after another.
 * Prints CPU (user and system: a commit is write(2) calls into the WAL) and wall time per lead, and
 * how many leads waited for a WAL checkpoint (over 3 ms).
 *
 * `tsx test/bench/store-per-lead.ts [leads]` (default 3000). Not part of `npm test`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openSqliteStore } from "../../src/store/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "lead-bot-store-bench-"));
const store = openSqliteStore({ dataDir: dir });

/** About the size of the conversation state at the name question (a kept update and a kept reply). */
const STATE = {
  version: [0, 2],
  state: {
    lead: [
      {
        args: '{"source":"direct","role":"customer"}',
        interrupts: [1],
        replay: {
          send: [
            {
              payload: {
                update: {
                  update_id: 1,
                  message: {
                    message_id: 5,
                    from: { id: 7_000_001, is_bot: false, first_name: "Анна", language_code: "ru" },
                    chat: { id: 7_000_001, type: "private", first_name: "Анна" },
                    date: 1,
                    text: "Анна",
                  },
                },
              },
            },
          ],
          receive: [
            {
              ok: true,
              res: {
                message_id: 6,
                chat: { id: 7_000_001, type: "private" },
                date: 1,
                text: "Как вас зовут? Напишите имя или нажмите кнопку ниже.",
                reply_markup: { keyboard: [[{ text: "Анна" }]] },
              },
            },
          ],
        },
      },
    ],
  },
};

let updateId = 1;

async function lead(i: number): Promise<void> {
  const chat = 7_000_000 + i;
  const key = `conversation:${chat}`;
  for (let step = 0; step < 3; step++) {
    const id = updateId++;
    await store.updates.wasHandled(id);
    await store.conversations.read(key);
    if (step === 0) await store.leads.countByUserSince(chat, 0);
    if (step < 2) {
      await store.conversations.write(key, STATE, id);
    } else {
      await store.leads.countByUserSince(chat, 0);
      const phone = `7977${String(i).padStart(7, "0")}`;
      const { lead } = await store.leads.insertUnlessDuplicate(
        { chatId: chat, userId: chat, firstName: "Анна", phone, source: "direct", actor: "customer", locale: "ru" },
        86_400_000,
        Date.now(),
      );
      await store.events.record({
        kind: "received",
        actor: "customer",
        leadId: lead.id,
        maskedPhone: "+7 977 ***-**-77",
        source: "direct",
      });
      await store.leads.markDelivered(lead.id, 1_000 + i, Date.now());
      await store.events.record({
        kind: "crm-ok",
        actor: "system",
        leadId: lead.id,
        detail: "created 200 3ms",
        latencyMs: 3,
        httpStatus: 200,
      });
      await store.events.record({ kind: "delivered", actor: "system", leadId: lead.id, brainysoftId: 1_000 + i });
      await store.leads.markNotified(lead.id);
      await store.conversations.delete(key, id);
    }
    await store.updates.markHandled(id, Date.now());
  }
}

const count = Number(process.argv[2] ?? 3000);
for (let i = 0; i < 300; i++) await lead(i); // warm-up
const walls: number[] = [];
const cpuBefore = process.cpuUsage();
for (let i = 300; i < 300 + count; i++) {
  const started = performance.now();
  await lead(i);
  walls.push(performance.now() - started);
}
const cpu = process.cpuUsage(cpuBefore);
await store.close();
rmSync(dir, { recursive: true, force: true });
walls.sort((a, b) => a - b);
const at = (p: number) => (walls[Math.min(walls.length - 1, Math.floor(p * walls.length))] ?? Number.NaN).toFixed(2);
console.log(
  `store per lead: CPU ${((cpu.user + cpu.system) / 1000 / count).toFixed(3)} ms (user ${(cpu.user / 1000 / count).toFixed(3)}, system ${(cpu.system / 1000 / count).toFixed(3)})`,
);
console.log(
  `wall per lead: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; ${walls.filter((w) => w > 3).length} of ${count} over 3 ms`,
);

/**
 * A big history in a SQLite store, for the load bench's "does a full store slow the bot down" run:
 * by default 1,000,000 leads, 5,000,000 journal events, 100,000 saved conversations and 100,000 processed
 * update ids, spread over the last 85 days (inside the default RETENTION_DAYS of 90, so the start-up purge
 * keeps them). A conversation that ends is deleted from the store, so the conversations kept are those of
 * people who stopped at the phone question, each as the bot saves one.
 *
 * The schema is the store's own (openSqliteStore runs the migrations); the rows go in through prepared
 * statements in one transaction, with the tables' indexes dropped meanwhile and re-created from their own
 * definitions after, which takes a minute rather than many.
 *
 * `tsx test/bench/seed-big.ts DIR [--leads N]` fills DIR/bot.sqlite; the bench calls seedBigStore.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { openSqliteStore } from "../../src/store/sqlite.js";

export interface BigStoreSize {
  leads: number;
  eventsPerLead: number;
  conversations: number;
  updates: number;
}

export const BIG_STORE: BigStoreSize = { leads: 1_000_000, eventsPerLead: 5, conversations: 100_000, updates: 100_000 };

const DAY = 86_400_000;
const HISTORY_DAYS = 85;

/** A conversation as the bot stores it while waiting for the phone, for chat `chatId` (captured from a run). */
function savedConversation(chatId: number, at: number): string {
  const date = Math.floor(at / 1000);
  const chat = { id: chatId, type: "private", first_name: "Анна" };
  const from = { id: chatId, is_bot: false, first_name: "Анна", language_code: "ru" };
  const bot = { id: 123456789, is_bot: true, first_name: "Lead Bot", username: "lead_bot" };
  const state = {
    lead: [
      {
        args: JSON.stringify([{ source: "direct", role: "customer" }]),
        interrupts: [4],
        replay: {
          send: [{ payload: "wait" }, { payload: "sendMessage" }, { payload: "wait" }, { payload: "sendMessage" }, { payload: "wait" }],
          receive: [
            {
              send: 0,
              returnValue: {
                message: { message_id: 1, from, chat, date, text: "/start", entities: [{ type: "bot_command", offset: 0, length: 6 }] },
                update_id: chatId,
              },
            },
            {
              send: 1,
              returnValue: {
                ok: true,
                res: {
                  ok: true,
                  result: { message_id: 3, from: bot, chat, date, text: "Как вас зовут? Напишите имя или нажмите кнопку ниже." },
                },
              },
            },
            { send: 2, returnValue: { message: { message_id: 4, from, chat, date, text: "Анна" }, update_id: chatId + 1 } },
            {
              send: 3,
              returnValue: {
                ok: true,
                res: {
                  ok: true,
                  result: {
                    message_id: 5,
                    from: bot,
                    chat,
                    date,
                    text: "Приятно познакомиться, Анна! Теперь поделитесь номером телефона кнопкой «📱 Поделиться номером» ниже или напишите его, например: +7 977 620-07-77.",
                  },
                },
              },
            },
          ],
        },
      },
    ],
  };
  return JSON.stringify({ version: [0, 1], state });
}

/** Lead i's state: most delivered, some duplicates, refusals and give-ups, as a real history has. */
function leadState(i: number): "delivered" | "duplicate" | "rejected" | "failed" {
  if (i % 50 === 0) return "failed";
  if (i % 50 === 1) return "rejected";
  if (i % 25 === 2) return "duplicate";
  return "delivered";
}

/** The journal of lead i: its first call failed and it was queued, then delivered (or refused, or given up). */
interface SeedEvent {
  kind: string;
  actor: "lead" | "system";
  detail: string | null;
  /** A Brainysoft call's numbers, as the journal records them. */
  call?: { latencyMs: number; status: number };
}

function leadEvents(state: ReturnType<typeof leadState>, count: number): SeedEvent[] {
  const last = state === "delivered" || state === "duplicate" ? "delivered" : state;
  const failedCall: SeedEvent = {
    kind: "crm-error",
    actor: "system",
    detail: "transient 503 120ms HTTP 503",
    call: { latencyMs: 120, status: 503 },
  };
  const lastCall: SeedEvent =
    state === "delivered" || state === "duplicate"
      ? { kind: "crm-ok", actor: "system", detail: "created 200 85ms", call: { latencyMs: 85, status: 200 } }
      : state === "rejected"
        ? { kind: "crm-error", actor: "system", detail: "rejected 400 90ms VALIDATION_ERROR", call: { latencyMs: 90, status: 400 } }
        : failedCall;
  const events: SeedEvent[] = [
    { kind: "received", actor: "lead", detail: null },
    failedCall,
    { kind: "queued", actor: "lead", detail: "transient: HTTP 503" },
    lastCall,
    { kind: last, actor: "lead", detail: null },
  ];
  while (events.length < count) events.splice(3, 0, failedCall);
  return events.slice(0, count);
}

/** Fills dataDir/bot.sqlite (a new file) with the history; returns how long it took. */
export function seedBigStore(dataDir: string, size: BigStoreSize = BIG_STORE, now = Date.now()): { ms: number; file: string } {
  const started = performance.now();
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "bot.sqlite");
  if (existsSync(file)) throw new Error(`${file} exists already: seed into an empty directory`);
  const store = openSqliteStore({ dataDir });
  void store.close();

  const db = new Database(file);
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -262144");
  const indexes = db
    .prepare<[], { name: string; sql: string }>(
      `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('leads', 'events', 'conversations', 'processed_updates')`,
    )
    .all();
  const insertLead = db.prepare(
    `INSERT INTO leads (id, chat_id, user_id, first_name, phone, source, actor, agent_id, locale, state, attempts,
                        brainysoft_id, last_error, created_at, updated_at, next_attempt_at, notified)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ru', ?, ?, ?, ?, ?, ?, ?, 1)`,
  );
  const insertEvent = db.prepare(
    `INSERT INTO events (at, kind, actor, source, masked_phone, lead_id, brainysoft_id, detail, latency_ms, http_status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertConversation = db.prepare(`INSERT INTO conversations (key, value, updated_at) VALUES (?, ?, ?)`);
  const insertUpdate = db.prepare(`INSERT INTO processed_updates (update_id, seen_at) VALUES (?, ?)`);

  const from = now - HISTORY_DAYS * DAY;
  db.transaction(() => {
    for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
    for (let i = 0; i < size.leads; i++) {
      const id = i + 1;
      const at = Math.floor(from + (i * HISTORY_DAYS * DAY) / size.leads);
      const phone = `7916${String(i).padStart(7, "0")}`;
      const agentId = i % 20 === 1 ? 500 + (i % 5) : null;
      const source = agentId !== null ? `agent:${agentId}` : i % 10 === 0 ? "spring_promo" : "direct";
      const actor = agentId !== null ? `agent:${agentId}` : "customer";
      const state = leadState(i);
      const brainysoftId = state === "delivered" || state === "duplicate" ? 10_000_000 + i : null;
      const lastError = state === "failed" ? "transient" : state === "rejected" ? "rejected" : null;
      const updatedAt = at + 60_000;
      insertLead.run(
        id,
        100_000_000 + i,
        agentId ?? 100_000_000 + i,
        "Мария",
        phone,
        source,
        agentId !== null ? "agent" : "customer",
        agentId,
        state,
        2,
        brainysoftId,
        lastError,
        at,
        updatedAt,
        at,
      );
      const masked = `+7 916 ***-**-${phone.slice(-2)}`;
      for (const [k, event] of leadEvents(state, size.eventsPerLead).entries()) {
        const lead = event.actor === "lead";
        insertEvent.run(
          at + k * 15_000,
          event.kind,
          lead ? actor : "system",
          lead ? source : "brainysoft",
          lead ? masked : null,
          id,
          lead && event.kind === "delivered" ? brainysoftId : null,
          event.detail,
          event.call?.latencyMs ?? null,
          event.call?.status ?? null,
        );
      }
    }
    for (let i = 0; i < size.conversations; i++) {
      const chatId = 300_000_000 + i;
      const at = Math.floor(from + (i * HISTORY_DAYS * DAY) / size.conversations);
      insertConversation.run(`conversation:${chatId}`, savedConversation(chatId, at), at);
    }
    // Telegram's update ids of the last two days, which the bot keeps for 48 hours.
    for (let i = 0; i < size.updates; i++)
      insertUpdate.run(500_000_000 + i, Math.floor(now - 47 * 3_600_000 + (i * 46 * 3_600_000) / size.updates));
    for (const index of indexes) db.exec(index.sql);
  })();
  db.pragma("journal_mode = WAL");
  db.close();
  return { ms: performance.now() - started, file };
}

/**
 * The big store for today, seeded once into the temporary directory and reused by later runs the same
 * day (a copy of it is what each measured bot starts on).
 */
export function cachedBigStore(dir: string, schemaVersion: number, log: (line: string) => void): string {
  const day = new Date().toISOString().slice(0, 10);
  const file = join(dir, `lead-bot-bench-big-v${schemaVersion}-${BIG_STORE.leads}-${day}.sqlite`);
  if (existsSync(file)) return file;
  const work = `${file}.seeding`;
  rmSync(work, { recursive: true, force: true });
  log(
    `seeding the big store (${BIG_STORE.leads} leads, ${BIG_STORE.leads * BIG_STORE.eventsPerLead} events, ${BIG_STORE.conversations} conversations) ...`,
  );
  const seeded = seedBigStore(work);
  renameSync(seeded.file, file);
  rmSync(work, { recursive: true, force: true });
  log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s: ${file}`);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: tsx test/bench/seed-big.ts DIR [--leads N]");
    process.exit(2);
  }
  const leadsAt = process.argv.indexOf("--leads");
  const leads = leadsAt > 0 ? Number(process.argv[leadsAt + 1]) : BIG_STORE.leads;
  const size = { ...BIG_STORE, leads, conversations: Math.round(leads / 10), updates: Math.round(leads / 10) };
  const { ms, file } = seedBigStore(dir, size);
  console.log(
    `${file}: ${leads} leads, ${leads * size.eventsPerLead} events, ${size.conversations} conversations in ${(ms / 1000).toFixed(1)} s`,
  );
}

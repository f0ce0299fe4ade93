/**
 * The bot on PostgreSQL (DATABASE_URL): the real app, a fake Bot API server and a mock Brainysoft, its
 * data in a schema of its own; and the start-up line when the database cannot be reached.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { FakeUser } from "../../src/fakes/fake-telegram.js";
import { textOf } from "../harness/locale.js";
import { botProcessEnv, startMainProcess, type MainProcess } from "../harness/main-process.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { describePostgres, testDatabase } from "./postgres-server.js";

const fridrich: FakeUser = { id: 5001, first_name: "Фридрих", language_code: "ru" };

await describePostgres("the bot on PostgreSQL", (url) => {
  const database = testDatabase(url);
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await database.dropSchemas();
  });
  afterAll(() => database.end());

  it("takes a lead end to end into the database, and finds it there after a restart", async () => {
    const schema = database.newSchema();
    t = await startTestApp({ env: { DATABASE_URL: url, DATABASE_SCHEMA: schema } });
    const telegram = t.telegram;
    telegram.sendText(fridrich, "/start");
    await telegram.nextMessage(fridrich.id);
    await telegram.nextMessage(fridrich.id);
    telegram.sendText(fridrich, "Фридрих");
    await telegram.nextMessage(fridrich.id);
    telegram.sendContact(fridrich, { phone_number: "79776200777", first_name: "Фридрих", user_id: fridrich.id });
    const done = await telegram.nextMessage(fridrich.id);
    const number = t.crm.created[0]?.id;
    expect(done.plainText).toBe(textOf("lead-created", { number: String(number), phone: "+7 977 620-07-77" }));

    // Read without the store: BIGINT comes back as text here.
    const rows = await database.query(`SELECT phone, state, brainysoft_id FROM "${schema}".leads`);
    expect(rows).toEqual([{ phone: "79776200777", state: "delivered", brainysoft_id: String(number) }]);
    // Nothing went to SQLite.
    expect(existsSync(join(t.dataDir, "bot.sqlite"))).toBe(false);

    await t.restart();
    expect((await t.app.store.leads.findRecent("79776200777", 0))?.brainysoftId).toBe(number);
  });
});

describe("start-up with a database it cannot reach", () => {
  let bot: MainProcess | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await bot?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("stops with one line naming DATABASE_URL, never its password", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "lead-bot-pg-"));
    bot = startMainProcess({
      env: botProcessEnv(
        { telegramApiRoot: "http://127.0.0.1:9", brainysoftUrl: "http://127.0.0.1:9/bs-core", dataDir },
        { DATABASE_URL: "postgres://bot:Hunter2-db-Passw0rd@127.0.0.1:1/leads" },
      ),
    });
    expect(await bot.exited).toEqual({ code: 1, signal: null });
    const stderr = bot.stderr();
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^Cannot reach PostgreSQL bot@127\.0\.0\.1:1\/leads .*check DATABASE_URL/);
    expect(stderr + JSON.stringify(bot.logs())).not.toContain("Hunter2");
  }, 60_000);
});

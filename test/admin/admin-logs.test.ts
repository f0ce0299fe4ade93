import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MENU_COMMANDS, refreshCommandMenu } from "../../src/bot/command-menus.js";
import { createTranslate } from "../../src/i18n.js";
import type { FakeUser, SentMessage } from "../../src/fakes/fake-telegram.js";
import { startTestApp, type TestApp } from "../harness/test-app.js";
import { ADMIN_ENV, admin, agent, customerLead, plain, say, secondAdmin, WAIT } from "./helpers.js";
import { patternOf, textOf } from "../harness/locale.js";

/** The first line of a /logs page as the (English-speaking) admin reads it. */
const header = (filter: string, from: number, to: number, count: number) =>
  textOf("logs-header", { filter: textOf("logs-filter", { filter }, "en"), from, to, count }, "en");

const customers: FakeUser[] = [5001, 5002, 5003, 5004, 5005].map((id, i) => ({
  id,
  first_name: ["Фридрих", "John", "Анна", "Ольга", "Пётр"][i]!,
  language_code: "ru",
}));
const [fridrich, john, anna, olga, petr] = customers as [FakeUser, FakeUser, FakeUser, FakeUser, FakeUser];

let t: TestApp;
const ids: Record<string, number> = {};

/** The kinds of the events a /logs page shows, in order, read from what the admin sees. */
function kindsOf(m: SentMessage): string[] {
  const labels: Record<string, string> = {
    "📥 received": "received",
    "✅ delivered": "delivered",
    "⏳ queued": "queued",
    "🔁 duplicate": "duplicate",
    "⛔ rejected": "rejected",
    "❌ failed": "failed",
    "⚠️ Brainysoft error": "crm-error",
    "🔄 sent again": "retried",
  };
  return plain(m)
    .split("\n")
    .map((line) => /^\d\d\.\d\d \d\d:\d\d (.+?)(?: · #(\d+))?(?: → \d+)?$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `${labels[match[1]!] ?? match[1]} #${match[2]}`);
}

/** A real history: five customers (one through a deep link, one duplicate, one refused by Brainysoft) and an agent. */
beforeAll(async () => {
  t = await startTestApp({ env: ADMIN_ENV });
  await customerLead(t, fridrich, "89776200777", "spring_promo");
  await customerLead(t, john, "+7 916 123-45-67");
  // Fridrich's phone again, from Anna: a neutral thanks (she learns nothing about his lead), journalled as a duplicate.
  expect(plain(await customerLead(t, anna, "8 977 620 07 77"))).toBe(textOf("lead-received-neutral", { phone: "+7 977 620-07-77" }));
  expect(plain(await say(t, agent, "Иван +7 903 123-45-67"))).toMatch(
    patternOf("agent-created", "ru", { whole: true, vars: { name: "Иван" } }),
  );
  t.crm.setFault("reject400", { times: 1 });
  expect(plain(await customerLead(t, olga, "+7 926 555-44-33"))).toMatch(patternOf("lead-rejected", "ru", { whole: true }));
  // Each admin is told about the refused lead, in DEFAULT_LOCALE (alerts.test.ts has the details).
  for (const who of [admin, secondAdmin]) {
    expect(plain(await t.telegram.nextMessage(who.id, WAIT))).toMatch(
      /^❌ Заявка #\d+ отклонена Brainysoft \(\+7 926 \*\*\*-\*\*-33, клиент\)/,
    );
  }
  await customerLead(t, petr, "+7 915 000-11-22");
  const leads = await t.app.store.leads.listCreatedBetween(0, Date.now() + 1000);
  for (const lead of leads) ids[lead.phone] = lead.id;
  expect(Object.keys(ids)).toHaveLength(5);
}, 60_000);

afterAll(async () => t?.close());

const first = () => ids["79776200777"];
const second = () => ids["79161234567"];
const agentLead = () => ids["79031234567"];
const refused = () => ids["79265554433"];
const last = () => ids["79150001122"];

describe("/logs", () => {
  it("shows the newest events first, ten to a page, readable and masked", async () => {
    const page = await say(t, admin, "/logs");
    expect(plain(page).split("\n")[0]).toBe(header("all", 1, 10, 20));
    expect(kindsOf(page)).toEqual([
      `delivered #${last()}`,
      `received #${last()}`,
      `rejected #${refused()}`,
      `crm-error #${refused()}`,
      `received #${refused()}`,
      `delivered #${agentLead()}`,
      `received #${agentLead()}`,
      `duplicate #${first()}`,
      `delivered #${second()}`,
      `received #${second()}`,
    ]);
    const text = plain(page);
    expect(text).toContain(`agent ${agent.id} · +7 903 ***-**-67`);
    expect(text).toContain("rejected 400");
    expect(text).toContain("VALIDATION_ERROR");
    expect(text).not.toMatch(/9031234567|9776200777/);
    expect(text.length).toBeLessThan(4096);
    expect(page.reply_markup.inline_keyboard).toEqual([[{ text: "Older »", callback_data: "logs:20:10:all" }]]);

    t.telegram.pressButton(admin, page, "logs:20:10:all");
    const older = await t.telegram.nextMessage(admin.id, WAIT);
    expect(older.method).toBe("editMessageText");
    expect(plain(older).split("\n")[0]).toBe(header("all", 11, 12, 20));
    expect(kindsOf(older)).toEqual([`delivered #${first()}`, `received #${first()}`]);
    expect(plain(older)).toContain("customer · spring_promo · +7 977 ***-**-77");
    expect(older.reply_markup.inline_keyboard).toEqual([[{ text: "« Newer", callback_data: "logs:20:0:all" }]]);

    t.telegram.pressButton(admin, older, "logs:20:0:all");
    expect(kindsOf(await t.telegram.nextMessage(admin.id, WAIT))).toHaveLength(10);
  });

  it("filters errors, leads and one agent, and takes a count", async () => {
    const errors = await say(t, admin, "/logs errors");
    expect(kindsOf(errors)).toEqual([`rejected #${refused()}`, `crm-error #${refused()}`]);
    expect(errors.reply_markup).toBeUndefined();

    const leads = await say(t, admin, "/logs leads");
    expect(kindsOf(leads)).not.toContain(`crm-error #${refused()}`);
    expect(kindsOf(leads)).toHaveLength(10);

    expect(kindsOf(await say(t, admin, `/logs agent ${agent.id}`))).toEqual([`delivered #${agentLead()}`, `received #${agentLead()}`]);
    const filter = textOf("logs-filter", { filter: "agent", id: "424242" }, "en");
    expect(plain(await say(t, admin, "/logs agent 424242"))).toBe(textOf("logs-empty", { filter }, "en"));

    const three = await say(t, admin, "/logs 3");
    expect(kindsOf(three)).toHaveLength(3);
    expect(plain(three).split("\n")[0]).toBe(header("all", 1, 3, 3));
    expect(three.reply_markup).toBeUndefined();

    expect(plain(await say(t, admin, "/logs everything please"))).toBe(textOf("logs-usage", {}, "en"));
  });

  it("speaks the admin's language", async () => {
    const page = await say(t, secondAdmin, "/logs errors");
    const errors = textOf("logs-filter", { filter: "errors" });
    expect(plain(page).split("\n")[0]).toMatch(patternOf("logs-header", "ru", { whole: true, vars: { filter: errors } }));
    expect(plain(page)).toContain(textOf("logs-kind", { kind: "rejected" }));
  });
});

describe("admin commands for anyone else", () => {
  it("do not exist for customers and agents, whatever the step", async () => {
    for (const [user, command] of [
      [john, "/logs"],
      [agent, "/stats"],
      [fridrich, "/export 30 full"],
      [anna, "/pending"],
      [john, "/retry all"],
    ] as const) {
      const answer = await say(t, user, command);
      expect(plain(answer)).toBe(textOf("admin-no-such-command"));
    }
    // Mid-conversation too: the refusal, and the conversation still waits for the name.
    await say(t, olga, "/start");
    await t.telegram.nextMessage(olga.id, WAIT);
    expect(plain(await say(t, olga, "/logs"))).toBe(textOf("admin-no-such-command"));
    expect(plain(await say(t, olga, "Ольга"))).toMatch(patternOf("phone-ask", "ru", { whole: true, vars: { name: "Ольга" } }));
    expect(t.telegram.sent(john.id).some((m) => m.method === "sendDocument" || m.method === "sendPhoto")).toBe(false);
  });
});

describe("command menus", () => {
  it("customers see /start, /help, /cancel; agents and admins their own lists, in ru and en", async () => {
    const names = (list: { command: string }[]) => list.map((c) => c.command);
    expect(names(t.telegram.commands())).toEqual(["start", "help", "cancel"]);
    expect(t.telegram.commands({ type: "default" }, "en")[0]).toEqual({ command: "start", description: "Apply for a loan" });
    expect(t.telegram.commands({ type: "default" }, "ru")[0]).toEqual({ command: "start", description: "Оставить заявку на заём" });
    for (const language of ["", "ru", "en"]) {
      expect(names(t.telegram.commands({ type: "chat", chat_id: admin.id }, language))).toEqual([...MENU_COMMANDS.admin]);
      expect(names(t.telegram.commands({ type: "chat", chat_id: agent.id }, language))).toEqual([...MENU_COMMANDS.agent]);
    }
    expect(t.telegram.commands({ type: "chat", chat_id: admin.id }, "en").find((c) => c.command === "stats")?.description).toBe(
      "Leads today and this week, with a chart",
    );
    expect(t.telegram.commands({ type: "chat", chat_id: john.id })).toEqual([]);
    // Every description is a text of its own in both languages (a missing key would show its name).
    for (const language of ["ru", "en"]) {
      const descriptions = t.telegram.commands({ type: "chat", chat_id: admin.id }, language).map((c) => c.description);
      expect(descriptions.filter((d) => d.startsWith("menu-"))).toEqual([]);
      expect(new Set(descriptions).size).toBe(descriptions.length);
    }

    // A role change gives or takes the list away: /agent_add and /agent_remove, or directly.
    await say(t, admin, `/agent_add ${john.id}`);
    expect(names(t.telegram.commands({ type: "chat", chat_id: john.id }, "en"))).toEqual([...MENU_COMMANDS.agent]);
    await say(t, admin, `/agent_remove ${john.id}`);
    expect(t.telegram.commands({ type: "chat", chat_id: john.id }, "en")).toEqual([]);
    const menuText = { t: createTranslate("ru"), defaultLocale: "ru" as const };
    await refreshCommandMenu(t.app.bot.api, anna.id, "admin", menuText);
    expect(names(t.telegram.commands({ type: "chat", chat_id: anna.id }))).toEqual([...MENU_COMMANDS.admin]);
    await refreshCommandMenu(t.app.bot.api, anna.id, "customer", menuText);
    expect(t.telegram.commands({ type: "chat", chat_id: anna.id })).toEqual([]);
  });
});

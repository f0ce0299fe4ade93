import { Api } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { refreshCommandMenu, setupCommandMenus } from "../../src/bot/command-menus.js";
import { startFakeTelegram, type FakeTelegram } from "../../src/fakes/fake-telegram.js";
import { createTranslate, type Locale } from "../../src/i18n.js";
import { createLogger } from "../../src/logger.js";
import { textOf } from "../harness/locale.js";

/** Each role's menu as people should see it: command, then the locale key of its description. Written out, not derived. */
const CUSTOMER = [
  ["start", "menu-start"],
  ["help", "menu-help"],
  ["cancel", "menu-cancel"],
] as const;
const ADMIN = [
  ["stats", "menu-stats"],
  ["logs", "menu-logs"],
  ["pending", "menu-pending"],
  ["retry", "menu-retry"],
  ["export", "menu-export"],
  ["agents", "menu-agents"],
  ["agent_add", "menu-agent-add"],
  ["agent_remove", "menu-agent-remove"],
  ...CUSTOMER,
] as const;

const AGENT_ID = 7001;
const ADMIN_ID = 7002;

/** The setMyCommands body Telegram should receive: the list in `locale`, for `language` (none: every other language). */
function setBody(menu: readonly (readonly [string, string])[], scope: object, language: Locale | undefined, locale: Locale) {
  const commands = menu.map(([command, key]) => ({ command, description: textOf(key, {}, locale) }));
  return { method: "setMyCommands", body: language ? { commands, scope, language_code: language } : { commands, scope } };
}

/** Per list: the default-language one (in the operator's locale), then ru, then en. */
const everyLanguage = (menu: readonly (readonly [string, string])[], scope: object, defaultLocale: Locale) => [
  setBody(menu, scope, undefined, defaultLocale),
  setBody(menu, scope, "ru", "ru"),
  setBody(menu, scope, "en", "en"),
];

let fake: FakeTelegram;
let api: Api;
const log = createLogger({ level: "silent" });
const received = () => fake.calls.map(({ method, body, error }) => (error ? { method, body, error } : { method, body }));

beforeAll(async () => {
  fake = await startFakeTelegram();
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.calls.length = 0;
});

describe("command menus as Telegram receives them", () => {
  it("at start: the default menu, the agent's and the admin's, each in the default language, ru and en", async () => {
    const t = createTranslate("ru");
    // The admin is an agent too: they get the admin menu only.
    await setupCommandMenus(api, { t, defaultLocale: "ru", adminIds: [ADMIN_ID], agentIds: [AGENT_ID, ADMIN_ID], log });
    expect(received()).toEqual([
      ...everyLanguage(CUSTOMER, { type: "default" }, "ru"),
      ...everyLanguage(CUSTOMER, { type: "chat", chat_id: AGENT_ID }, "ru"),
      ...everyLanguage(ADMIN, { type: "chat", chat_id: ADMIN_ID }, "ru"),
    ]);
    // What people then see, read back from the fake.
    expect(fake.commands({ type: "chat", chat_id: ADMIN_ID }, "en").find((c) => c.command === "agent_add")).toEqual({
      command: "agent_add",
      description: textOf("menu-agent-add", {}, "en"),
    });
    expect(fake.commands({ type: "chat", chat_id: ADMIN_ID }).map((c) => c.description)).toEqual(
      ADMIN.map(([, key]) => textOf(key, {}, "ru")),
    );
  });

  it("an English-speaking operator's default-language lists are English", async () => {
    const t = createTranslate("en");
    await refreshCommandMenu(api, ADMIN_ID, "admin", { t, defaultLocale: "en" });
    expect(received()).toEqual(everyLanguage(ADMIN, { type: "chat", chat_id: ADMIN_ID }, "en"));
    expect(fake.commands({ type: "chat", chat_id: ADMIN_ID })[0]).toEqual({
      command: "stats",
      description: textOf("menu-stats", {}, "en"),
    });
  });

  it("a former agent's own lists are deleted in every language, so the default menu applies again", async () => {
    const text = { t: createTranslate("ru"), defaultLocale: "ru" as const };
    await refreshCommandMenu(api, AGENT_ID, "agent", text);
    fake.calls.length = 0;
    await refreshCommandMenu(api, AGENT_ID, "customer", text);
    const scope = { type: "chat", chat_id: AGENT_ID };
    expect(received()).toEqual([
      { method: "deleteMyCommands", body: { scope } },
      { method: "deleteMyCommands", body: { scope, language_code: "ru" } },
      { method: "deleteMyCommands", body: { scope, language_code: "en" } },
    ]);
    for (const language of ["", "ru", "en"]) expect(fake.commands(scope, language)).toEqual([]);
  });
});

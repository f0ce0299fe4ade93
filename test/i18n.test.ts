import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { I18n, type I18nFlavor } from "@grammyjs/i18n";
import { Api, Context } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import {
  createI18n,
  createTranslate,
  LOCALES,
  loadLocaleBundles,
  type Locale,
  pickLocale,
  type TranslationFlavor,
  translationMiddleware,
} from "../src/i18n.js";

const localesDir = new URL("../src/locales/", import.meta.url).pathname;
const srcDir = new URL("../src/", import.meta.url).pathname;

function keysOf(locale: string): Set<string> {
  const keys = new Set<string>();
  for (const file of readdirSync(join(localesDir, locale))) {
    for (const match of readFileSync(join(localesDir, locale, file), "utf8").matchAll(/^([a-z][a-z0-9-]*)\s*=/gm)) {
      keys.add(match[1]!);
    }
  }
  return keys;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

describe("locales", () => {
  it("ru and en have the same keys", () => {
    expect([...keysOf("en")].sort()).toEqual([...keysOf("ru")].sort());
    expect(keysOf("ru").size).toBeGreaterThan(20);
  });

  it("every key the code asks for exists", () => {
    const keys = keysOf("ru");
    const used = sourceFiles(srcDir).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/\bt\((?:[\w.]+,\s*)?"([a-z][a-z0-9-]*)"/g)].map((m) => m[1]!),
    );
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((key) => !keys.has(key))).toEqual([]);
  });

  it("translates outside an update without isolation marks or digit grouping", () => {
    const t = createTranslate("ru");
    expect(t("en", "lead-delivered-later", { number: "12345", phone: "+7 977 620-07-77" })).toBe(
      "Your application is registered: No. <b>12345</b>. We will call you at +7 977 620-07-77 shortly.",
    );
  });

  it("picks the person's language when it is one we speak", () => {
    expect(LOCALES).toEqual(["ru", "en"]);
    expect(pickLocale("en-US", "ru")).toBe("en");
    expect(pickLocale("ru", "en")).toBe("ru");
    expect(pickLocale("de", "en")).toBe("en");
    expect(pickLocale(undefined, "ru")).toBe("ru");
  });
});

/** The plugin the bot used before createI18n, configured as it was: the reference for what ours says. */
function pluginI18n(defaultLocale: Locale): I18n<Context & I18nFlavor> {
  const i18n = new I18n<Context & I18nFlavor>({
    defaultLocale,
    fluentBundleOptions: { useIsolating: false },
    localeNegotiator: (ctx) => pickLocale(ctx.from?.language_code, defaultLocale),
  });
  i18n.loadLocalesDirSync(join(srcDir, "locales"));
  return i18n;
}

/** A text, or the error a message whose variables are not all given throws. */
function outcome(translate: () => string): string {
  try {
    return translate();
  } catch (error) {
    return `threw ${String(error)}`;
  }
}

describe("loadLocaleBundles", () => {
  it("refuses a key defined in two files, naming the second", () => {
    const dir = mkdtempSync(join(tmpdir(), "locales-"));
    try {
      for (const locale of ["ru", "en"]) {
        mkdirSync(join(dir, locale));
        writeFileSync(join(dir, locale, "a.ftl"), "greeting = one\n");
        writeFileSync(join(dir, locale, "b.ftl"), locale === "en" ? "greeting = two\n" : "other = two\n");
      }
      expect(() => loadLocaleBundles(pathToFileURL(`${dir}/`))).toThrow(/src\/locales\/en\/b\.ftl: .*greeting/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("createI18n", () => {
  it("gives what @grammyjs/i18n gives for every key, a missing key, and a language the bot does not have", () => {
    const plugin = pluginI18n("ru");
    const i18n = createI18n("ru");
    const vars = { name: "Анна", number: "7", phone: "+7 977 620-07-77", reason: "letters", suggested: "yes", count: 3 };
    const keys = [...keysOf("ru"), "no-such-key", "start-greeting.no-such-attribute"];
    for (const locale of ["ru", "en", "de"]) {
      for (const key of keys)
        expect([locale, key, outcome(() => i18n.t(locale, key, vars))]).toEqual([locale, key, outcome(() => plugin.t(locale, key, vars))]);
    }
  });
});

describe("translationMiddleware", () => {
  const plugin = pluginI18n("ru");
  const i18n = createI18n("ru");
  const contextOf = (languageCode: string | undefined) =>
    new Context(
      {
        update_id: 1,
        message: {
          message_id: 1,
          date: 0,
          chat: { id: 5, type: "private", first_name: "A" },
          from: { id: 5, is_bot: false, first_name: "A", language_code: languageCode },
          text: "x",
        },
      },
      new Api("0:test"),
      { id: 1, is_bot: true, first_name: "Bot", username: "b" } as UserFromGetMe, // only the fields Context reads here
    ) as Context & I18nFlavor & TranslationFlavor; // each middleware under test adds its flavor's fields

  async function viaLibrary(languageCode: string | undefined, key: string, vars?: Record<string, string>) {
    const ctx = contextOf(languageCode);
    let text = "";
    await plugin.middleware()(ctx, async () => {
      text = ctx.t(key, vars);
    });
    return text;
  }

  it("says what @grammyjs/i18n's own middleware says, in the person's language", async () => {
    const middleware = translationMiddleware<Context & TranslationFlavor>(i18n, "ru");
    for (const languageCode of ["ru", "en-US", "de", undefined]) {
      for (const [key, vars] of [
        ["start-greeting"],
        ["phone-ask", { name: "Анна" }],
        ["lead-created", { number: "7", phone: "+7 977 620-07-77" }],
        ["start-greeting"],
      ] as [string, Record<string, string>?][]) {
        const ctx = contextOf(languageCode);
        let text = "";
        await middleware(ctx, async () => {
          text = ctx.t(key, vars);
          expect(ctx.translate(key, vars)).toBe(text);
          expect(await ctx.i18n.getLocale()).toBe(pickLocale(languageCode, "ru"));
        });
        expect(text).toBe(await viaLibrary(languageCode, key, vars));
      }
    }
  });

  it("switches language with useLocale, as the library does", async () => {
    const ctx = contextOf("ru");
    await translationMiddleware<Context & TranslationFlavor>(i18n, "ru")(ctx, async () => {
      ctx.i18n.useLocale("en");
      expect(ctx.t("start-greeting")).toBe(plugin.t("en", "start-greeting"));
      await ctx.i18n.renegotiateLocale();
      expect(ctx.t("start-greeting")).toBe(plugin.t("ru", "start-greeting"));
    });
  });
});

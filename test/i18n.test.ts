import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTranslate, LOCALES, pickLocale } from "../src/i18n.js";

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

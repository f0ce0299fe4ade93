import { fileURLToPath } from "node:url";
import { I18n, type I18nFlavor } from "@grammyjs/i18n";
import type { Context } from "grammy";

export const LOCALES = ["ru", "en"] as const;
export type Locale = (typeof LOCALES)[number];

/** A person's Telegram language when we speak it ("en-US" counts as en), else the operator's default. */
export function pickLocale(languageCode: string | undefined, fallback: Locale): Locale {
  const base = languageCode?.toLowerCase().split(/[-_]/)[0];
  return LOCALES.find((l) => l === base) ?? fallback;
}

export function createI18n<C extends Context & I18nFlavor>(defaultLocale: Locale): I18n<C> {
  const i18n = new I18n<C>({
    defaultLocale,
    // Unicode isolation marks around variables would end up inside phone numbers and lead numbers.
    fluentBundleOptions: { useIsolating: false },
    localeNegotiator: (ctx) => pickLocale(ctx.from?.language_code, defaultLocale),
  });
  i18n.loadLocalesDirSync(fileURLToPath(new URL("./locales", import.meta.url)));
  return i18n;
}

/** Translation outside an update (delayed confirmations, alerts). */
export type Translate = (locale: string, key: string, vars?: Record<string, string | number>) => string;

/** A Translate on an I18n already loaded (the app loads the locale files once and shares them). */
export function translateWith(i18n: Pick<I18n, "t">): Translate {
  return (locale, key, vars) => i18n.t(locale, key, vars);
}

export function createTranslate(defaultLocale: Locale): Translate {
  return translateWith(createI18n(defaultLocale));
}

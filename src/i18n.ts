import { fileURLToPath } from "node:url";
import { I18n, type I18nFlavor, type TranslateFunction, type TranslationVariables } from "@grammyjs/i18n";
import type { Context, MiddlewareFn } from "grammy";

export const LOCALES = ["ru", "en"] as const;
export type Locale = (typeof LOCALES)[number];

/** A person's Telegram language when we speak it ("en-US" counts as en), else the operator's default. */
export function pickLocale(languageCode: string | undefined, fallback: Locale): Locale {
  const base = languageCode?.toLowerCase().split(/[-_]/)[0];
  return LOCALES.find((l) => l === base) ?? fallback;
}

export function createI18n<C extends Context>(defaultLocale: Locale): I18n<C> {
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

/** What translationMiddleware needs of the loaded I18n (of whatever context type it was made for). */
type Translations = Pick<I18n, "t" | "fluent">;

/**
 * ctx.t, ctx.translate and ctx.i18n as @grammyjs/i18n's middleware sets them (the person's language by
 * pickLocale, no session), built once: its own middleware makes eight closures and two async calls per
 * update, and every translation negotiates the language again. Here each locale has one translate
 * function, texts without variables are formatted once, and an update costs one small object.
 */
export function translationMiddleware<C extends Context & I18nFlavor>(i18n: Translations, defaultLocale: Locale): MiddlewareFn<C> {
  const translators = new Map<string, TranslateFunction>(LOCALES.map((locale) => [locale, fixedLocaleTranslate(i18n, locale)]));
  // useLocale with a language the bot does not have: the library falls back to the default texts.
  const translatorOf = (locale: string): TranslateFunction =>
    translators.get(locale) ?? ((key, variables) => i18n.t(locale, key, variables));
  return (ctx, next) => {
    const control = new LocaleControl(ctx, i18n, translatorOf, pickLocale(ctx.from?.language_code, defaultLocale));
    control.useLocale(control.negotiated);
    ctx.i18n = control;
    return next();
  };
}

function fixedLocaleTranslate(i18n: Translations, locale: Locale): TranslateFunction {
  // A message without variables always formats the same: start-greeting, phone-button, most questions.
  const plain = new Map<string, string>();
  return <K extends string>(key: string, variables?: TranslationVariables<K>) => {
    if (variables !== undefined) return i18n.t(locale, key, variables);
    let text = plain.get(key);
    if (text === undefined) {
      text = i18n.t(locale, key);
      plain.set(key, text);
    }
    return text;
  };
}

/** ctx.i18n: its methods live on the prototype, so an update allocates this object and nothing else. */
class LocaleControl implements Pick<I18nFlavor["i18n"], keyof I18nFlavor["i18n"]> {
  readonly fluent: I18n["fluent"];
  constructor(
    private readonly ctx: Context & Pick<I18nFlavor, "t" | "translate">,
    i18n: Translations,
    private readonly translatorOf: (locale: string) => TranslateFunction,
    readonly negotiated: Locale,
  ) {
    this.fluent = i18n.fluent;
  }
  useLocale(locale: string): void {
    const translate = this.translatorOf(locale);
    this.ctx.t = translate;
    this.ctx.translate = translate;
  }
  async getLocale(): Promise<string> {
    return this.negotiated;
  }
  async renegotiateLocale(): Promise<void> {
    this.useLocale(this.negotiated);
  }
  async setLocale(_locale: string): Promise<void> {
    // As the library without `useSession`: there is nowhere to keep a chosen language.
    throw new Error("ctx.i18n.setLocale() needs sessions, which this bot does not use; use ctx.i18n.useLocale()");
  }
}

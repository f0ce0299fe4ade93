import { readdirSync, readFileSync } from "node:fs";
import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import type { Context, MiddlewareFn } from "grammy";

export const LOCALES = ["ru", "en"] as const;
export type Locale = (typeof LOCALES)[number];

/** A person's Telegram language when we speak it ("en-US" counts as en), else the operator's default. */
export function pickLocale(languageCode: string | undefined, fallback: Locale): Locale {
  const base = languageCode?.toLowerCase().split(/[-_]/)[0];
  return LOCALES.find((l) => l === base) ?? fallback;
}

export type TranslationVariables = Record<string, FluentVariable>;
export type TranslateFunction = (key: string, variables?: TranslationVariables) => string;

/** The locale files, loaded: `t(locale, key)` as @grammyjs/i18n's `i18n.t` answers it. */
export interface Translations {
  t(locale: string, key: string, variables?: TranslationVariables): string;
}

/**
 * src/locales/<locale>/*.ftl, one Fluent bundle per locale, as @grammyjs/i18n loaded them (the test
 * harness reads the texts through these too). A file Fluent cannot parse, or a key defined twice, stops the start.
 */
export function loadLocaleBundles(dir = new URL("./locales/", import.meta.url)): ReadonlyMap<Locale, FluentBundle> {
  const bundles = new Map<Locale, FluentBundle>();
  for (const locale of LOCALES) {
    // Unicode isolation marks around variables would end up inside phone numbers and lead numbers.
    const bundle = new FluentBundle(locale, { useIsolating: false });
    const files = readdirSync(new URL(`${locale}/`, dir)).filter((f) => f.endsWith(".ftl"));
    for (const file of files.sort()) {
      const errors = bundle.addResource(new FluentResource(readFileSync(new URL(`${locale}/${file}`, dir), "utf8")));
      if (errors.length > 0) throw new Error(`src/locales/${locale}/${file}: ${errors.map(String).join("; ")}`);
    }
    bundles.set(locale, bundle);
  }
  return bundles;
}

/**
 * Translations as @grammyjs/i18n's `i18n.t` gives them (its output is the reference in
 * test/i18n.test.ts), without its cost: the library negotiated the language again on every
 * translation (2% of the bot's CPU under load), and loaded Deno's shims. A key or attribute
 * ("key.attr") missing in the locale comes from the default one, else "{key}".
 */
export function createI18n(defaultLocale: Locale): Translations {
  const bundles = loadLocaleBundles();
  const format = (bundle: FluentBundle | undefined, id: string, attribute: string | undefined, variables?: TranslationVariables) => {
    const message = bundle?.getMessage(id);
    const pattern = attribute === undefined ? (message?.value ?? "") : message?.attributes[attribute];
    return bundle && message && pattern !== undefined ? bundle.formatPattern(pattern, variables) : undefined;
  };
  return {
    t(locale, path, variables) {
      const [id = "", attribute] = path.split(".", 2);
      const own = pickLocale(locale, defaultLocale);
      return (
        format(bundles.get(own), id, attribute, variables) ??
        (own === defaultLocale ? undefined : format(bundles.get(defaultLocale), id, attribute, variables)) ??
        `{${path}}`
      );
    },
  };
}

/** Translation outside an update (delayed confirmations, alerts). */
export type Translate = (locale: string, key: string, vars?: Record<string, string | number>) => string;

/** A Translate on translations already loaded (the app loads the locale files once and shares them). */
export function translateWith(i18n: Translations): Translate {
  return (locale, key, vars) => i18n.t(locale, key, vars);
}

export function createTranslate(defaultLocale: Locale): Translate {
  return translateWith(createI18n(defaultLocale));
}

/** What translationMiddleware gives a context: @grammyjs/i18n's I18nFlavor without its Fluent instance. */
export interface TranslationFlavor {
  t: TranslateFunction;
  translate: TranslateFunction;
  i18n: LocaleSwitch;
}

export interface LocaleSwitch {
  /** Translates in `locale` for the rest of this update. */
  useLocale(locale: string): void;
  getLocale(): Promise<string>;
  renegotiateLocale(): Promise<void>;
  setLocale(locale: string): Promise<void>;
}

/**
 * ctx.t, ctx.translate and ctx.i18n as @grammyjs/i18n's middleware sets them (the person's language by
 * pickLocale, no session), built once: its own middleware makes eight closures and two async calls per
 * update. Here each locale has one translate function, texts without variables are formatted once, and
 * an update costs one small object.
 */
export function translationMiddleware<C extends Context & TranslationFlavor>(i18n: Translations, defaultLocale: Locale): MiddlewareFn<C> {
  const translators = new Map<string, TranslateFunction>(LOCALES.map((locale) => [locale, fixedLocaleTranslate(i18n, locale)]));
  // useLocale with a language the bot does not have: the default texts, as the library gives.
  const translatorOf = (locale: string): TranslateFunction =>
    translators.get(locale) ?? ((key, variables) => i18n.t(locale, key, variables));
  return (ctx, next) => {
    const control = new LocaleControl(ctx, translatorOf, pickLocale(ctx.from?.language_code, defaultLocale));
    control.useLocale(control.negotiated);
    ctx.i18n = control;
    return next();
  };
}

function fixedLocaleTranslate(i18n: Translations, locale: Locale): TranslateFunction {
  // A message without variables always formats the same: start-greeting, phone-button, most questions.
  const plain = new Map<string, string>();
  return (key, variables) => {
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
class LocaleControl implements LocaleSwitch {
  constructor(
    private readonly ctx: Pick<TranslationFlavor, "t" | "translate">,
    private readonly translatorOf: (locale: string) => TranslateFunction,
    readonly negotiated: Locale,
  ) {}
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

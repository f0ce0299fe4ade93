/**
 * Tests check what a person sees through the locale keys, reading the same Fluent files as the bot:
 * a reworded message does not break a test, a wrong message does.
 */
import type { FluentBundle, FluentVariable } from "@fluent/bundle";
import { loadLocaleBundles } from "../../src/i18n.js";

let bundles: ReadonlyMap<string, FluentBundle> | undefined;

/** The bot's own bundles (src/i18n.ts), loaded once per test file. */
function bundleOf(locale: string): FluentBundle {
  bundles ??= loadLocaleBundles();
  const bundle = bundles.get(locale);
  if (!bundle) throw new Error(`no locale ${locale}`);
  return bundle;
}

/** What Telegram shows of an HTML text: tags gone, entities decoded. */
export function plainOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/** The message `key` as the person reads it (plain text), with `vars`. Throws on an unknown key. */
export function textOf(key: string, vars: Record<string, FluentVariable> = {}, locale = "ru"): string {
  const bundle = bundleOf(locale);
  const message = bundle.getMessage(key);
  if (!message?.value) throw new Error(`no message "${key}" in locale ${locale}`);
  const errors: Error[] = [];
  const text = bundle.formatPattern(message.value, vars, errors);
  if (errors.length > 0) throw new Error(`message "${key}" (${locale}): ${errors.map(String).join("; ")}`);
  return plainOf(text);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A pattern matching the message `key` whatever its variables hold, in any variant a variable selects
 * unless `vars` fixes that variable's value: for messages whose numbers or names a test does not know
 * in advance. The variable named by `capture` is captured (valueIn reads it).
 */
export function patternOf(
  key: string,
  locale = "ru",
  options: { whole?: boolean; vars?: Record<string, string>; capture?: string } = {},
): RegExp {
  const bundle = bundleOf(locale);
  const message = bundle.getMessage(key);
  if (!message?.value) throw new Error(`no message "${key}" in locale ${locale}`);
  // Tags and entities go as plainOf takes them from the text (none is a regular-expression character).
  const source = plainOf(sourceOf(message.value, { bundle, locale, vars: options.vars ?? {}, capture: options.capture }));
  return new RegExp(options.whole ? `^${source}$` : source);
}

/** The value of variable `name` in `text`, a message `key`; undefined when the text is not that message. */
export function valueIn(key: string, name: string, text: string, locale = "ru"): string | undefined {
  return patternOf(key, locale, { whole: true, capture: name })
    .exec(text)
    ?.slice(1)
    .find((value) => value !== undefined);
}

/**
 * A regular expression's source for a Fluent pattern of @fluent/bundle's runtime AST (strings, and
 * `var`, `select`, `mesg`, `str` and `num` expressions: what the locale files use). A free variable is
 * any text; a select on one is any of its variants.
 */
interface SourceContext {
  bundle: FluentBundle;
  locale: string;
  vars: Record<string, string>;
  capture: string | undefined;
}

function sourceOf(node: unknown, context: SourceContext): string {
  if (typeof node === "string") return escapeRegExp(node);
  if (Array.isArray(node)) return node.map((part) => sourceOf(part, context)).join("");
  if (node === null || typeof node !== "object") throw new Error(`unexpected pattern part ${String(node)}`);
  const expression = node as Record<string, unknown>; // the runtime AST is plain objects
  const name = typeof expression.name === "string" ? expression.name : "";
  switch (expression.type) {
    case "str":
    case "num":
      return escapeRegExp(String(expression.value));
    case "var":
      if (context.vars[name] !== undefined) return escapeRegExp(context.vars[name]);
      return name === context.capture ? "([\\s\\S]*?)" : "[\\s\\S]*?";
    case "mesg": {
      const value = context.bundle.getMessage(name)?.value;
      if (!value) throw new Error(`no message "${name}"`);
      return sourceOf(value, context);
    }
    case "select": {
      const variants = expression.variants as { key: { value: unknown }; value: unknown }[]; // a select's variants
      const selector = expression.selector as { type?: unknown; name?: unknown }; // and what it selects on
      const fixed = selector.type === "var" && typeof selector.name === "string" ? context.vars[selector.name] : undefined;
      // As Fluent picks: the exact key, else a number's plural category, else the default variant.
      const category = fixed !== undefined && /^\d+$/.test(fixed) ? new Intl.PluralRules(context.locale).select(Number(fixed)) : undefined;
      const picked = (wanted: string | undefined) => variants.find((v) => String(v.key.value) === wanted);
      const chosen = fixed === undefined ? variants : [picked(fixed) ?? picked(category) ?? variants[Number(expression.star)]];
      return `(?:${chosen.map((variant) => sourceOf(variant?.value, context)).join("|")})`;
    }
    default:
      throw new Error(`patternOf cannot read a ${String(expression.type)} expression`);
  }
}

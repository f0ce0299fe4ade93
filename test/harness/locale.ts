/**
 * Tests check what a person sees through the locale keys, reading the same Fluent files as the bot:
 * a reworded message does not break a test, a wrong message does.
 */
import { readdirSync, readFileSync } from "node:fs";
import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";

const LOCALES_DIR = new URL("../../src/locales/", import.meta.url);
const bundles = new Map<string, FluentBundle>();

function bundleOf(locale: string): FluentBundle {
  let bundle = bundles.get(locale);
  if (!bundle) {
    // As the bot does (src/i18n.ts): no isolation marks around variables.
    bundle = new FluentBundle(locale, { useIsolating: false });
    const dir = new URL(`${locale}/`, LOCALES_DIR);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(".ftl"))
      .sort()) {
      const errors = bundle.addResource(new FluentResource(readFileSync(new URL(file, dir), "utf8")));
      if (errors.length > 0) throw new Error(`${locale}/${file}: ${errors.map(String).join("; ")}`);
    }
    bundles.set(locale, bundle);
  }
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

/** Variable names a Fluent pattern uses (walking the runtime AST of @fluent/bundle). */
function variablesOf(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const item of node) variablesOf(item, into);
  else if (node !== null && typeof node === "object") {
    const record = node as Record<string, unknown>; // the runtime AST is plain objects
    if (record.type === "var" && typeof record.name === "string") into.add(record.name);
    for (const value of Object.values(record)) variablesOf(value, into);
  }
  return into;
}

/**
 * A pattern matching the message `key` whatever its variables hold (their default variants when a
 * variable selects one, or the value `vars` fixes): for messages whose numbers or names a test does not know
 * in advance.
 */
export function patternOf(key: string, locale = "ru", options: { whole?: boolean; vars?: Record<string, string> } = {}): RegExp {
  const message = bundleOf(locale).getMessage(key);
  if (!message?.value) throw new Error(`no message "${key}" in locale ${locale}`);
  const marks: Record<string, string> = {};
  for (const name of variablesOf(message.value, new Set())) marks[name] = options.vars?.[name] ?? `\uE000${name}\uE000`;
  const text = textOf(key, marks, locale);
  const source = text
    .split(/\uE000[^\uE000]*\uE000/)
    .map(escapeRegExp)
    .join("[\\s\\S]*?");
  return new RegExp(options.whole ? `^${source}$` : source);
}

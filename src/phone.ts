import { parsePhoneNumberFromString, validatePhoneNumberLength } from "libphonenumber-js/max";
import type { CountryCode, PhoneNumber } from "libphonenumber-js/max";

export type PhoneSource = "own-contact" | "typed" | "card";
export type PhoneRefusal = "empty" | "letters" | "too-short" | "too-long" | "invalid" | "not-mobile" | "country-not-allowed";
export interface PhoneRules {
  defaultCountry: CountryCode;
  allowedCountries?: readonly CountryCode[] | undefined;
}
export type PhoneResult =
  | { ok: true; digits: string; country: CountryCode | undefined }
  | { ok: false; reason: PhoneRefusal; country?: CountryCode | undefined };

// E.164 caps a full number (country code included) at 15 digits.
const MAX_DIGITS = 15;
// What people put between digits: whitespace (incl. NBSP), ( ) . and any dash (iOS turns "-" into "–").
// \p{Cf} covers the invisible LTR/RTL marks Android wraps around numbers copied from contacts.
const SEPARATORS = /[\s().\p{Pd}\p{Cf}]/gu;

// A lead must be reachable by a call or SMS: only types that may be a mobile.
// With the max metadata every country has type patterns, so a valid number always has a type;
// an undefined type therefore cannot happen, and if a metadata change ever made it happen we
// could not tell it is a mobile, so it is refused like any other non-mobile type (fail closed).
const LEAD_TYPES = new Set(["MOBILE", "FIXED_LINE_OR_MOBILE"]);

export function normalizePhone(input: string, source: PhoneSource, rules: PhoneRules): PhoneResult {
  return readPhone(input, source, rules).result;
}

/** normalizePhone's answer, with the reading it took (for PhoneFormats, which keeps how to show it). */
function readPhone(input: string, source: PhoneSource, rules: PhoneRules): { result: PhoneResult; parsed?: PhoneNumber } {
  const refused = (reason: PhoneRefusal) => ({ result: { ok: false as const, reason } });
  const text = input.replace(SEPARATORS, "");
  if (text === "" || text === "+") return refused("empty");
  // Only a leading "+" is meaningful; anything else that is not a digit (letters, "*", "#", "ext")
  // means this is not just a phone number, and guessing would store a wrong one.
  if (!/^\+?\d+$/.test(text)) return refused("letters");
  const plus = text.startsWith("+");
  const digits = plus ? text.slice(1) : text;
  if (digits.length > MAX_DIGITS) return refused("too-long");

  // Telegram sends one's own contact in international form (sometimes without "+"); typed text and
  // address-book cards are often national ("8 977 ..."). An explicit "+" is international too.
  const intl = { text: `+${digits}`, country: undefined };
  const national = { text: digits, country: rules.defaultCountry };
  const order = plus || source === "own-contact" ? [intl, national] : [national, intl];

  // The first valid reading wins even when it is then refused: falling through to the other one
  // would turn a Moscow landline "8 495 ..." (typed) into a Vietnamese mobile "+84 95...".
  for (const candidate of order) {
    const parsed = parsePhoneNumberFromString(candidate.text, candidate.country);
    if (parsed?.isValid()) return { result: judge(parsed, rules), parsed };
  }

  // biome-ignore lint/style/noNonNullAssertion: order always holds at least one reading (the digits as typed)
  const first = order[0]!;
  const length = validatePhoneNumberLength(first.text, first.country);
  if (length === "TOO_SHORT" || length === "NOT_A_NUMBER") return refused("too-short");
  if (length === "TOO_LONG") return refused("too-long");
  return refused("invalid");
}

function judge(parsed: PhoneNumber, rules: PhoneRules): PhoneResult {
  const country = parsed.country;
  const type = parsed.getType();
  if (type === undefined || !LEAD_TYPES.has(type)) return { ok: false, reason: "not-mobile", country };
  // Regions sharing a calling code are told apart here: +7 is RU or KZ, +44 is GB, GG, JE or IM.
  if (rules.allowedCountries && (country === undefined || !rules.allowedCountries.includes(country))) {
    return { ok: false, reason: "country-not-allowed", country };
  }
  return { ok: true, digits: parsed.number.slice(1), country };
}

/** What showing a phone takes from its reading: its country code, and how a person writes it if it is valid. */
interface PhoneLook {
  code: string;
  written: string | undefined;
}

function lookOf(parsed: PhoneNumber | undefined): PhoneLook {
  return { code: parsed?.countryCallingCode ?? "", written: parsed?.isValid() ? writtenAs(parsed) : undefined };
}

const lookUp = (clean: string): PhoneLook => lookOf(parsePhoneNumberFromString(`+${clean}`));

function writtenAs(parsed: PhoneNumber): string {
  // Russians and Kazakhs write their numbers with RU-style grouping but "+7" instead of "8 (...)".
  if (parsed.countryCallingCode === "7") {
    return `+7 ${parsed.format("NATIONAL", { nationalPrefix: false }).replace(/[()]/g, "")}`;
  }
  return parsed.formatInternational();
}

/** "+7 977 620-07-77" from "79776200777": how a person would write it. */
export function formatPhone(digits: string): string {
  return formatted(digits.replace(/\D/g, ""), lookUp);
}

/** "+7 977 ***-**-77" from "79776200777": for logs and admin views; never reveals more than country code, first 3 national digits and last 2. Works (masks something sensible) even for invalid digit strings. */
export function maskPhone(digits: string): string {
  return masked(digits.replace(/\D/g, ""), lookUp);
}

function formatted(clean: string, look: (clean: string) => PhoneLook): string {
  return look(clean).written ?? `+${clean}`;
}

function masked(clean: string, look: (clean: string) => PhoneLook): string {
  const { code, written } = look(clean);
  const national = clean.slice(code.length);
  const shown = written === undefined ? national : written.slice(code.length + 1);
  // Short numbers would be given away by 3 + 2 digits: show less the shorter they are.
  const head = national.length >= 7 ? 3 : 0;
  const tail = national.length >= 5 ? 2 : 0;
  let index = 0;
  const hidden = shown.replace(/\d/g, (d) => {
    const keep = index < head || index >= national.length - tail;
    index += 1;
    return keep ? d : "*";
  });
  return code ? `+${code}${hidden.startsWith(" ") ? "" : " "}${hidden}` : `+${hidden}`;
}

/**
 * normalizePhone, formatPhone and maskPhone sharing one reading per number. A customer's phone is read
 * to take it, masked for the journal and written out in the answer: libphonenumber's metadata lookups
 * are the cost, so each number is looked up once while it is among the last `limit` numbers seen.
 */
export interface PhoneFormats {
  normalize(input: string, source: PhoneSource, rules: PhoneRules): PhoneResult;
  format(digits: string): string;
  mask(digits: string): string;
}

export function createPhoneFormats(limit = 1_000): PhoneFormats {
  const looks = new Map<string, PhoneLook>();
  const keep = (clean: string, look: PhoneLook): PhoneLook => {
    if (looks.size >= limit) looks.clear();
    looks.set(clean, look);
    return look;
  };
  const look = (clean: string): PhoneLook => looks.get(clean) ?? keep(clean, lookUp(clean));
  return {
    normalize(input, source, rules) {
      const { result, parsed } = readPhone(input, source, rules);
      if (result.ok && parsed && !looks.has(result.digits)) keep(result.digits, lookOf(parsed));
      return result;
    },
    format: (digits) => formatted(digits.replace(/\D/g, ""), look),
    mask: (digits) => masked(digits.replace(/\D/g, ""), look),
  };
}

// A run that starts with "+" or a digit and continues with digits and the separators people use.
const PHONE_RUN = /\+?\(?\d(?:[\s().\p{Pd}]{0,3}\d)+/gu;
const EDGE_JUNK = /^[\s,;:\p{Pd}]+|[\s,;:\p{Pd}]+$/gu;

/** Finds a phone number inside free text, for agent lines such as "Иван +7 977 620-07-77" or "89776200777, Анна": returns the matched substring and the rest of the text with it removed (trimmed, separators like , ; - : removed at the edges), or undefined. */
export function extractPhone(text: string): { phone: string; rest: string } | undefined {
  for (const match of text.matchAll(PHONE_RUN)) {
    // Purely syntactic (7+ digits): a wrong number is still "the phone" here, so the caller can
    // run normalizePhone on it and tell the person exactly what is wrong with it.
    if (match[0].replace(/\D/g, "").length < 7) continue;
    const phone = match[0];
    const before = text.slice(0, match.index);
    const after = text.slice(match.index + phone.length);
    const rest = `${before} ${after}`.replace(/\s+/g, " ").replace(EDGE_JUNK, "");
    return { phone, rest };
  }
  return undefined;
}

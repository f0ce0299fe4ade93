export type NameRefusal = "empty" | "too-long" | "no-letters" | "command" | "phone" | "link";
export type NameResult = { ok: true; name: string } | { ok: false; reason: NameRefusal };

// Brainysoft's firstName takes at most 50 characters.
const MAX_LENGTH = 50;

// ZWNJ/ZWJ are spelling in Persian ("علی‌رضا") and Indic scripts, so they stay between letters of
// such scripts. Everywhere else (and in emoji, which are stripped anyway) they are invisible noise.
const JOINER = /[\u200C\u200D]/u;
const KEEPS_JOINERS = /[\p{L}\p{M}]/u;
const NO_JOINERS = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}]/u;
// Cc (controls) and Cf (zero-width space, bidi marks, BOM, soft hyphen, emoji tags...).
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;
// Emoji and pictographs, with their skin tones, flags, variation selectors and keycaps, plus other
// symbols (So: ♥ ★ ©). A CRM field wants the name people will search and address letters by.
// Math/currency/modifier symbols (< > ` ^ $) are kept literally: "`" is an apostrophe in some
// transliterations (G`ulom), and markup such as "<b>Bob</b>" stays as typed rather than being mangled
// into "bBob/b"; it is only text, which the bot escapes on output and sends to Brainysoft as JSON.
const PICTOGRAPHS =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is stripped on its own, the keycap mark included
  /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\p{So}\uFE00-\uFE0F\u20E3]/gu;
// URLs and Telegram handles: a bare @username (5..32 chars) names an account, not a person.
const LINK =
  /(?:[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\b(?:t|telegram)\.me\/|(?:^|\s)@[a-z0-9_]{5,32}\b|\b[a-z0-9-]+\.(?:ru|com|net|org|su|io|me|info|biz|xyz|site|online)\b)/iu;

function dropInvisible(text: string): string {
  // Most names have nothing invisible (ZWNJ and ZWJ are Cf too): no need to look at each character.
  if (!INVISIBLE.test(text)) return text;
  const chars = Array.from(text);
  return chars
    .filter((ch, i) => {
      if (!JOINER.test(ch)) return !INVISIBLE.test(ch);
      const before = chars[i - 1] ?? "";
      const after = chars[i + 1] ?? "";
      return KEEPS_JOINERS.test(before) && KEEPS_JOINERS.test(after) && !NO_JOINERS.test(before + after);
    })
    .join("");
}

const squeeze = (text: string): string => text.replace(/\s+/gu, " ").trim();

export function normalizeFirstName(input: string): NameResult {
  // NFC so "й" typed as "и" + combining breve is one character, for length and for CRM search.
  // Whitespace (tabs, newlines, NBSP) becomes one space first, so "Анна\nМария" keeps its space.
  const text = squeeze(dropInvisible(squeeze(input.normalize("NFC"))));
  if (text === "") return { ok: false, reason: "empty" };
  if (text.startsWith("/")) return { ok: false, reason: "command" };
  if (LINK.test(text)) return { ok: false, reason: "link" };
  // 7+ digits is a phone (or a phone plus a name, "Иван 89776200777"): ask for the name alone.
  // This also covers every text in which extractPhone finds a number, as it needs 7+ digits too.
  if ((text.match(/\d/g)?.length ?? 0) >= 7) return { ok: false, reason: "phone" };
  const name = squeeze(text.replace(PICTOGRAPHS, ""));
  if (!/\p{L}/u.test(name)) return { ok: false, reason: "no-letters" };
  // Counted in code points, which is what a database varchar counts and never fewer than the
  // characters a person sees (after NFC and emoji removal the two rarely differ).
  if (Array.from(name).length > MAX_LENGTH) return { ok: false, reason: "too-long" };
  return { ok: true, name };
}

/**
 * Reads the name and phones out of the vCard Telegram attaches to a shared contact. Some clients send
 * a card whose phone_number/first_name are empty and whose details are only in the vCard; address
 * books write 2.1, 3.0 and 4.0 alike, so this is tolerant rather than strict: folded lines, property
 * groups (item1.TEL), TYPE parameters in any of their spellings, quoted-printable UTF-8 (Android's
 * 2.1 export) and "tel:" URIs are all understood; anything else is ignored.
 */

export interface VCardPhone {
  /** As written in the card, "tel:" prefix removed. */
  value: string;
  /** Lower-case TYPE values: cell, home, work, voice, fax, pref... */
  types: string[];
}

export interface VCard {
  /** N's given name (second component). */
  givenName?: string | undefined;
  /** N's family name (first component). */
  familyName?: string | undefined;
  /** FN: the name as displayed. */
  fullName?: string | undefined;
  /** In the card's order. */
  phones: VCardPhone[];
}

/**
 * The largest card read: a real one is a few hundred bytes (Telegram's own limit for a card it sends
 * is 2 KB), so anything near this is not an address book's card.
 */
export const MAX_VCARD_BYTES = 64 * 1024;

/** Whether a card is over MAX_VCARD_BYTES (UTF-8), checked without encoding a huge text. */
export function vcardTooLarge(text: string | undefined): boolean {
  if (text === undefined) return false;
  // A UTF-16 unit is at least one UTF-8 byte: a text longer than the cap is over it.
  return text.length > MAX_VCARD_BYTES || Buffer.byteLength(text, "utf8") > MAX_VCARD_BYTES;
}

interface Property {
  name: string;
  params: Map<string, string[]>;
  value: string;
}

/** A card over MAX_VCARD_BYTES is not read at all: nothing comes of it. */
export function parseVCard(text: string): VCard {
  const card: VCard = { phones: [] };
  if (vcardTooLarge(text)) return card;
  for (const property of properties(text)) {
    if (property.name === "END") break;
    if (property.name === "FN") card.fullName = clean(unescapeValue(property.value));
    else if (property.name === "N") {
      // Components are ";"-separated; a component's several values (two given names) are ","-separated.
      const [family, given] = splitUnescaped(property.value, ";").map((part) =>
        clean(splitUnescaped(part, ",").map(unescapeValue).join(" ")),
      );
      card.familyName = family;
      card.givenName = given;
    } else if (property.name === "TEL") {
      const value = unescapeValue(property.value).replace(/^tel:/i, "").trim();
      if (value !== "") card.phones.push({ value, types: typesOf(property.params) });
    }
  }
  return card;
}

/**
 * Phones worth trying for a lead, best first: mobiles, then plain or voice numbers, in the card's
 * order within each group; fax and pager numbers cannot take a call and are left out.
 */
export function leadPhones(card: VCard): string[] {
  const callable = card.phones.filter((p) => !p.types.some((t) => t === "fax" || t === "pager"));
  const mobile = callable.filter((p) => p.types.includes("cell"));
  return [...mobile, ...callable.filter((p) => !mobile.includes(p))].map((p) => p.value);
}

/** Unfolded logical lines as properties, names upper-cased and groups dropped. Linear in the text. */
function* properties(text: string): Generator<Property> {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let index = 0;
  while (index < lines.length) {
    // RFC folding: a line starting with a space or tab continues the previous one.
    const folded = [lines[index++] ?? ""];
    while (index < lines.length && /^[ \t]/.test(lines[index] ?? "")) folded.push((lines[index++] ?? "").slice(1));
    const line = folded.join("");
    const colon = findUnquoted(line, ":");
    if (colon < 0) continue;
    const [head = "", ...rawParams] = splitUnescaped(line.slice(0, colon), ";");
    const params = parseParams(rawParams);
    let value = line.slice(colon + 1);
    if ((params.get("ENCODING") ?? []).some((e) => e.toUpperCase() === "QUOTED-PRINTABLE")) {
      // 2.1 soft line breaks: "=" at the end of a line continues the value on the next one.
      const parts = [value];
      let last = value;
      while (last.endsWith("=") && index < lines.length) {
        parts[parts.length - 1] = last.slice(0, -1);
        last = lines[index++] ?? "";
        parts.push(last);
      }
      value = decodeQuotedPrintable(parts.join(""));
    }
    const name = head
      .slice(head.lastIndexOf(".") + 1)
      .trim()
      .toUpperCase();
    yield { name, params, value };
  }
}

/** TYPE=CELL,VOICE; type="cell"; bare 2.1 parameters (;CELL;PREF) all end up under TYPE. */
function parseParams(raw: string[]): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const param of raw) {
    const eq = param.indexOf("=");
    const key = eq < 0 ? "TYPE" : param.slice(0, eq).trim().toUpperCase();
    const values = (eq < 0 ? param : param.slice(eq + 1))
      .split(",")
      .map((v) => v.trim().replace(/^"|"$/g, ""))
      .filter((v) => v !== "");
    params.set(key, [...(params.get(key) ?? []), ...values]);
  }
  return params;
}

function typesOf(params: Map<string, string[]>): string[] {
  // "mobile" and "iphone" are what some address books write for a mobile.
  return (params.get("TYPE") ?? []).map((t) => t.toLowerCase()).map((t) => (t === "mobile" || t === "iphone" ? "cell" : t));
}

function findUnquoted(text: string, char: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === char && !quoted) return i;
  }
  return -1;
}

/** Splits on `separator` unless it is escaped with a backslash (the escapes stay, for unescapeValue). */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unescapeValue(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, ch: string) => (ch === "n" || ch === "N" ? "\n" : ch));
}

/**
 * "=XX" escapes to bytes, everything else as its UTF-8 bytes, the whole read as UTF-8: one pass over
 * the bytes into one buffer ("=" and hex digits are ASCII, so they are found among the bytes as they are).
 */
export function decodeQuotedPrintable(value: string): string {
  const bytes = Buffer.from(value, "utf8");
  const decoded = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0;
    if (byte === EQUALS) {
      const high = hexValue(bytes[i + 1]);
      const low = hexValue(bytes[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded[length++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    decoded[length++] = byte;
  }
  return decoded.toString("utf8", 0, length);
}

const EQUALS = 0x3d;

/** The value of an ASCII hex digit, or -1. */
function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function clean(value: string): string | undefined {
  const squeezed = value.replace(/\s+/g, " ").trim();
  return squeezed === "" ? undefined : squeezed;
}

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

interface Property {
  name: string;
  params: Map<string, string[]>;
  value: string;
}

export function parseVCard(text: string): VCard {
  const card: VCard = { phones: [] };
  for (const property of properties(text)) {
    if (property.name === "END") break;
    if (property.name === "FN") card.fullName = clean(unescape(property.value));
    else if (property.name === "N") {
      // Components are ";"-separated; a component's several values (two given names) are ","-separated.
      const [family, given] = splitUnescaped(property.value, ";").map((part) =>
        clean(splitUnescaped(part, ",").map(unescape).join(" ")),
      );
      card.familyName = family;
      card.givenName = given;
    } else if (property.name === "TEL") {
      const value = unescape(property.value).replace(/^tel:/i, "").trim();
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

/** Unfolded logical lines as properties, names upper-cased and groups dropped. */
function* properties(text: string): Generator<Property> {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let index = 0;
  while (index < lines.length) {
    let line = lines[index++] ?? "";
    // RFC folding: a line starting with a space or tab continues the previous one.
    while (index < lines.length && /^[ \t]/.test(lines[index] ?? "")) line += (lines[index++] ?? "").slice(1);
    const colon = findUnquoted(line, ":");
    if (colon < 0) continue;
    const [head = "", ...rawParams] = splitUnescaped(line.slice(0, colon), ";");
    const params = parseParams(rawParams);
    let value = line.slice(colon + 1);
    if ((params.get("ENCODING") ?? []).some((e) => e.toUpperCase() === "QUOTED-PRINTABLE")) {
      // 2.1 soft line breaks: "=" at the end of a line continues the value on the next one.
      while (value.endsWith("=") && index < lines.length) value = value.slice(0, -1) + (lines[index++] ?? "");
      value = decodeQuotedPrintable(value);
    }
    const name = head.slice(head.lastIndexOf(".") + 1).trim().toUpperCase();
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

/** Splits on `separator` unless it is escaped with a backslash. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text[++i]!;
    } else if (ch === separator) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unescape(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, ch: string) => (ch === "n" || ch === "N" ? "\n" : ch));
}

function decodeQuotedPrintable(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(value[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function clean(value: string): string | undefined {
  const squeezed = value.replace(/\s+/g, " ").trim();
  return squeezed === "" ? undefined : squeezed;
}

/**
 * Telegram's `parse_mode: "HTML"` as the Bot API applies it (TDLib's parse_html), so that a test sees the
 * same 400 "Bad Request: can't parse entities: ..." that production would see when user input such as
 * `<script>` reaches a message unescaped.
 *
 * Rules reproduced, because they decide what is an error and what is not:
 * - `<` always opens a tag; only the supported tag names are accepted (a bare `a < b` is an error).
 * - `>` outside a tag is plain text. `&` that does not start `&lt; &gt; &amp; &quot;` or a numeric
 *   reference is plain text too (Telegram does not reject it).
 * - Error offsets are UTF-8 byte offsets, entity offsets are UTF-16 code units, as in Telegram.
 */
import type { MessageEntity } from "grammy/types";

export class TelegramHtmlError extends Error {
  override name = "TelegramHtmlError";
}

export interface ParsedHtml {
  /** The text the user sees: tags removed, references decoded. */
  text: string;
  entities: MessageEntity[];
}

const SUPPORTED_TAGS = new Set([
  "a",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "code",
  "pre",
  "tg-spoiler",
  "span",
  "blockquote",
  "tg-emoji",
]);

interface OpenTag {
  name: string;
  /** href of <a>, language of <code>, "spoiler" for span.tg-spoiler, emoji id, "1" for expandable quote. */
  argument: string;
  /** UTF-16 offset in the resulting text where the entity starts. */
  offset: number;
  /** Byte position in the result where the entity starts (the inner text of <a> without href is its URL). */
  resultPos: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

export function parseTelegramHtml(html: string): ParsedHtml {
  const src = Buffer.from(html, "utf8");
  // Reading past the end yields 0, like the C string TDLib walks; it keeps the bounds checks out of the loops.
  const at = (i: number): number => (i < src.length ? src[i]! : 0);
  const out: number[] = [];
  const entities: MessageEntity[] = [];
  const open: OpenTag[] = [];
  let utf16 = 0;

  const fail = (message: string): never => {
    throw new TelegramHtmlError(message);
  };

  /** Decodes a reference at `pos`; returns the code point and the position after it, or null (plain '&'). */
  const decodeReference = (pos: number): { code: number; end: number } | null => {
    let end = pos + 1;
    let code = 0;
    if (at(end) === 0x23 /* # */) {
      end++;
      if (at(end) === 0x78 /* x */) {
        end++;
        while (isHex(at(end))) code = code * 16 + parseInt(String.fromCharCode(at(end++)), 16);
      } else {
        while (isDigit(at(end))) code = code * 10 + (at(end++) - 0x30);
      }
      if (code === 0 || code >= 0x10ffff || end - pos >= 10) return null;
    } else {
      while (isAlpha(at(end))) end++;
      const name = src.subarray(pos + 1, end).toString("latin1");
      const named: Record<string, number> = { lt: 0x3c, gt: 0x3e, amp: 0x26, quot: 0x22 };
      const found = named[name];
      if (found === undefined) return null;
      code = found;
    }
    return { code, end: at(end) === 0x3b /* ; */ ? end + 1 : end };
  };

  const appendCodePoint = (target: number[], code: number) => {
    for (const byte of Buffer.from(String.fromCodePoint(code), "utf8")) target.push(byte);
  };

  let decodedSurrogate = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? 0; // i < src.length
    if (c === 0x26 /* & */) {
      const ref = decodeReference(i);
      if (ref) {
        appendCodePoint(out, ref.code);
        utf16 += ref.code > 0xffff ? 2 : 1;
        if (ref.code >= 0xd800 && ref.code <= 0xdfff) decodedSurrogate = true;
        i = ref.end - 1;
        continue;
      }
    }
    if (c !== 0x3c /* < */) {
      // Count UTF-16 units once per character: on its first byte; 4-byte sequences are surrogate pairs.
      if ((c & 0xc0) !== 0x80) utf16 += c >= 0xf0 ? 2 : 1;
      out.push(c);
      continue;
    }

    const begin = i++;
    if (at(i) !== 0x2f /* / */) {
      // Start tag: name runs to a space or '>'.
      while (!isSpace(at(i)) && at(i) !== 0x3e && at(i) !== 0) i++;
      if (at(i) === 0) fail(`Unclosed start tag at byte offset ${begin}`);
      const name = src
        .subarray(begin + 1, i)
        .toString("utf8")
        .toLowerCase();
      if (!SUPPORTED_TAGS.has(name)) fail(`Unsupported start tag "${name}" at byte offset ${begin}`);

      let argument = "";
      while (at(i) !== 0x3e /* > */) {
        while (at(i) !== 0 && isSpace(at(i))) i++;
        if (at(i) === 0x3e) break;
        const attrBegin = i;
        while (at(i) !== 0 && !isSpace(at(i)) && ![0x3d, 0x3e, 0x2f, 0x22, 0x27].includes(at(i))) i++;
        const attr = src.subarray(attrBegin, i).toString("utf8");
        if (attr.length === 0) fail(`Empty attribute name in the tag "${name}" at byte offset ${begin}`);
        while (at(i) !== 0 && isSpace(at(i))) i++;
        if (at(i) !== 0x3d /* = */) {
          // A valueless attribute: only <blockquote expandable> means something.
          if (at(i) === 0) fail(`Unclosed start tag "${name}" at byte offset ${begin}`);
          if (name === "blockquote" && attr === "expandable") argument = "1";
          continue;
        }
        i++;
        while (at(i) !== 0 && isSpace(at(i))) i++;
        if (at(i) === 0) fail(`Unclosed start tag "${name}" at byte offset ${begin}`);

        let value: string;
        if (at(i) !== 0x22 && at(i) !== 0x27) {
          // Unquoted: a name token (letters, digits, '.', '-').
          const tokenBegin = i;
          while (isAlpha(at(i)) || isDigit(at(i)) || at(i) === 0x2e || at(i) === 0x2d) i++;
          if (!isSpace(at(i)) && at(i) !== 0x3e) fail(`Unexpected end of name token at byte offset ${tokenBegin}`);
          value = src.subarray(tokenBegin, i).toString("utf8").toLowerCase();
        } else {
          const quote = at(i++);
          const bytes: number[] = [];
          while (at(i) !== quote && at(i) !== 0) {
            const ref = at(i) === 0x26 ? decodeReference(i) : null;
            if (ref) {
              appendCodePoint(bytes, ref.code);
              i = ref.end;
            } else {
              bytes.push(at(i++));
            }
          }
          if (at(i) === quote) i++;
          value = Buffer.from(bytes).toString("utf8");
        }
        if (at(i) === 0) fail(`Unclosed start tag at byte offset ${begin}`);

        if ((name === "a" && attr === "href") || (name === "tg-emoji" && attr === "emoji-id")) argument = value;
        else if (name === "code" && attr === "class" && value.startsWith("language-")) argument = value.slice(9);
        else if (name === "span" && attr === "class" && value.startsWith("tg-")) argument = value.slice(3);
        else if (name === "blockquote" && attr === "expandable") argument = "1";
      }
      if (name === "span" && argument !== "spoiler") {
        fail(`Tag "span" must have class "tg-spoiler" at byte offset ${begin}`);
      }
      open.push({ name, argument, offset: utf16, resultPos: out.length });
      continue;
    }

    // End tag.
    if (open.length === 0) fail(`Unexpected end tag at byte offset ${begin}`);
    while (!isSpace(at(i)) && at(i) !== 0x3e && at(i) !== 0) i++;
    const endName = src
      .subarray(begin + 2, i)
      .toString("utf8")
      .toLowerCase();
    while (isSpace(at(i))) i++;
    if (at(i) !== 0x3e) fail(`Unclosed end tag at byte offset ${begin}`);
    const tag = open.pop()!; // something is open: an end tag with nothing open failed above
    // `</>` closes whatever is open, as in Telegram.
    if (endName !== "" && endName !== tag.name) {
      fail(`Unmatched end tag at byte offset ${begin}, expected "</${tag.name}>", found "</${endName}>"`);
    }
    if (utf16 > tag.offset) addEntity(entities, tag, utf16 - tag.offset, Buffer.from(out.slice(tag.resultPos)).toString("utf8"));
  }

  const unclosed = open[open.length - 1];
  if (unclosed) fail(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  if (decodedSurrogate) {
    fail("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units");
  }
  // A language only survives on code inside pre (turned into a pre entity above).
  for (const [k, e] of entities.entries()) {
    if (e.type === "code" && "language" in e) entities[k] = { type: "code", offset: e.offset, length: e.length };
  }
  // Telegram orders entities by offset, longer first.
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: Buffer.from(out).toString("utf8"), entities };
}

function addEntity(entities: MessageEntity[], tag: OpenTag, length: number, innerText: string): void {
  const offset = tag.offset;
  const last = entities[entities.length - 1];
  const sameSpan = last !== undefined && last.offset === offset && last.length === length;
  switch (tag.name) {
    case "b":
    case "strong":
      entities.push({ type: "bold", offset, length });
      break;
    case "i":
    case "em":
      entities.push({ type: "italic", offset, length });
      break;
    case "u":
    case "ins":
      entities.push({ type: "underline", offset, length });
      break;
    case "s":
    case "strike":
    case "del":
      entities.push({ type: "strikethrough", offset, length });
      break;
    case "tg-spoiler":
    case "span":
      entities.push({ type: "spoiler", offset, length });
      break;
    case "tg-emoji":
      if (!/^\d+$/.test(tag.argument) || BigInt(tag.argument) === 0n || BigInt(tag.argument) >= 2n ** 63n) {
        throw new TelegramHtmlError("Invalid custom emoji identifier specified");
      }
      entities.push({ type: "custom_emoji", offset, length, custom_emoji_id: tag.argument });
      break;
    case "a": {
      // Without href the inner text is the URL. Telegram's URL validation is not reproduced.
      const url = tag.argument || innerText;
      if (url) entities.push({ type: "text_link", offset, length, url });
      break;
    }
    case "pre":
      // <pre><code class="language-x"> is one pre entity with a language.
      if (sameSpan && last.type === "code" && "language" in last) {
        entities[entities.length - 1] = { type: "pre", offset, length, language: String(last.language) };
      } else {
        entities.push({ type: "pre", offset, length });
      }
      break;
    case "code":
      if (sameSpan && last.type === "pre" && tag.argument) {
        entities[entities.length - 1] = { type: "pre", offset, length, language: tag.argument };
      } else if (tag.argument) {
        // Kept until the enclosing </pre> decides; a bare <code class=...> loses its language below.
        entities.push({ type: "code", offset, length, language: tag.argument } as MessageEntity);
      } else {
        entities.push({ type: "code", offset, length });
      }
      break;
    case "blockquote":
      entities.push({ type: tag.argument ? "expandable_blockquote" : "blockquote", offset, length });
      break;
  }
}

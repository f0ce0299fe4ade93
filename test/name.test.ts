import { describe, expect, it } from "vitest";
import { normalizeFirstName } from "../src/name.js";
import type { NameResult } from "../src/name.js";

const ok = (name: string): NameResult => ({ ok: true, name });
const no = (reason: string): NameResult => ({ ok: false, reason }) as NameResult;

describe("normalizeFirstName", () => {
  const cases: [string, string, NameResult][] = [
    ["plain Cyrillic", "Анна", ok("Анна")],
    ["trims and collapses spaces", "  Анна   Мария  ", ok("Анна Мария")],
    ["newline and tab become one space", "\tАнна\nМария\r\n", ok("Анна Мария")],
    ["hyphenated", "Анна-Мария", ok("Анна-Мария")],
    ["apostrophe", "O'Brien", ok("O'Brien")],
    ["typographic apostrophe", "D’Angelo", ok("D’Angelo")],
    ["backtick apostrophe (Uzbek)", "G`ulom", ok("G`ulom")],
    ["initials", "J. R. R.", ok("J. R. R.")],
    ["diacritics", "Zoë", ok("Zoë")],
    ["CJK", "李小龙", ok("李小龙")],
    ["Arabic (RTL)", "محمد", ok("محمد")],
    ["Hebrew (RTL)", "דוד", ok("דוד")],
    ["Persian ZWNJ between letters is kept", "علی\u200Cرضا", ok("علی\u200Cرضا")],
    ["Devanagari ZWJ is kept", "राम\u200Dक्ष", ok("राम\u200Dक्ष")],
    ["emoji after a name is stripped", "Анна 🌸", ok("Анна")],
    ["emoji with variation selector", "❤️ Оля ❤️", ok("Оля")],
    ["emoji with skin tone", "Маша👍🏽", ok("Маша")],
    ["flag", "🇷🇺 Иван", ok("Иван")],
    ["other symbols (So) stripped", "Ivan ©", ok("Ivan")],
    ["emoji only", "🌸", no("no-letters")],
    ["ZWJ emoji sequence only", "👨‍👩‍👧", no("no-letters")],
    ["digits only (short)", "12345", no("no-letters")],
    ["zero-width space inside", "Ан\u200Bна", ok("Анна")],
    ["ZWJ inside a Cyrillic name", "Ан\u200Dна", ok("Анна")],
    ["BOM and LRM around", "\uFEFFАнна\u200E", ok("Анна")],
    ["control characters", "Ан\u0000на\u0007", ok("Анна")],
    ["NFD is composed, so 50 × й fits", "й".normalize("NFD").repeat(50), ok("й".repeat(50))],
    ["exactly 50 characters", "а".repeat(50), ok("а".repeat(50))],
    ["51 characters", "а".repeat(51), no("too-long")],
    ["emoji do not count towards the limit", `${"А".repeat(49)} 🌸`, ok("А".repeat(49))],
    ["HTML is kept literally", "<b>Bob</b>", ok("<b>Bob</b>")],
    ["only spaces", "   ", no("empty")],
    ["empty", "", no("empty")],
    ["only zero-width spaces", "\u200B\u200B", no("empty")],
    ["command", "/start", no("command")],
    ["slash then text", "/ Анна", no("command")],
    ["phone only", "89776200777", no("phone")],
    ["name with phone", "Иван +7 977 620-07-77", no("phone")],
    ["few digits are allowed", "Иван 977-62", ok("Иван 977-62")],
    ["URL", "https://example.com", no("link")],
    ["www", "www.site", no("link")],
    ["t.me", "t.me/ivan", no("link")],
    ["@username", "@ivan_petrov", no("link")],
    ["name with @username", "Анна @ivan_petrov", no("link")],
    ["e-mail", "anna@mail.ru", no("link")],
    ["bare domain", "Anna.com", no("link")],
  ];
  it.each(cases)("%s: %j", (_label, input, expected) => {
    expect(normalizeFirstName(input)).toEqual(expected);
  });
});

import { describe, expect, it } from "vitest";
import { createPhoneFormats, extractPhone, formatPhone, maskPhone, normalizePhone } from "../src/phone.js";
import type { PhoneResult, PhoneRules, PhoneSource } from "../src/phone.js";

const RU: PhoneRules = { defaultCountry: "RU" };
const ok = (digits: string, country: string): PhoneResult => ({ ok: true, digits, country }) as PhoneResult;
const no = (reason: string, country?: string): PhoneResult =>
  (country ? { ok: false, reason, country } : { ok: false, reason }) as PhoneResult;

describe("normalizePhone", () => {
  const cases: [string, string, PhoneSource, PhoneRules, PhoneResult][] = [
    ["RU +7 with brackets", "+7 (977) 620-07-77", "typed", RU, ok("79776200777", "RU")],
    ["RU 8 trunk prefix", "8 977 620 07 77", "typed", RU, ok("79776200777", "RU")],
    ["RU 8 trunk, brackets", "8 (977) 620-07-77", "typed", RU, ok("79776200777", "RU")],
    ["RU 8 trunk, no spaces", "89776200777", "typed", RU, ok("79776200777", "RU")],
    ["RU 10-digit national", "9776200777", "typed", RU, ok("79776200777", "RU")],
    ["RU 7 without +", "79776200777", "typed", RU, ok("79776200777", "RU")],
    ["RU dots", "8.977.620.07.77", "typed", RU, ok("79776200777", "RU")],
    ["RU en dashes (iOS smart punctuation)", "8–977–620–07–77", "typed", RU, ok("79776200777", "RU")],
    ["RU NBSP and bidi marks from Android copy", "\u202A+7\u00A0977\u00A0620-07-77\u202C", "typed", RU, ok("79776200777", "RU")],
    ["own contact with +", "+79776200777", "own-contact", RU, ok("79776200777", "RU")],
    ["own contact without +", "79776200777", "own-contact", RU, ok("79776200777", "RU")],
    ["own contact national falls back to default", "89776200777", "own-contact", RU, ok("79776200777", "RU")],
    // Same digits, different source: Telegram's own contact is international, so 84... is Vietnam.
    ["own contact 84... is VN", "84951234567", "own-contact", RU, ok("84951234567", "VN")],
    ["card with 8 trunk", "8 (977) 620-07-77", "card", RU, ok("79776200777", "RU")],
    ["card international", "+380 50 123 45 67", "card", RU, ok("380501234567", "UA")],
    ["UA typed", "+380501234567", "typed", RU, ok("380501234567", "UA")],
    ["UA own contact without +", "380501234567", "own-contact", RU, ok("380501234567", "UA")],
    ["UA national with RU default is invalid", "050 123 45 67", "typed", RU, no("invalid")],
    ["UA national with UA default", "050 123 45 67", "typed", { defaultCountry: "UA" }, ok("380501234567", "UA")],
    ["KZ shares +7", "77011234567", "typed", RU, ok("77011234567", "KZ")],
    ["KZ 8 trunk with RU default", "8 701 123 45 67", "typed", RU, ok("77011234567", "KZ")],
    ["BY", "+375 29 123-45-67", "typed", RU, ok("375291234567", "BY")],
    ["DE mobile", "+49 1511 2345678", "typed", RU, ok("4915112345678", "DE")],
    ["US fixed-line-or-mobile", "+1 (201) 555-0123", "typed", RU, ok("12015550123", "US")],
    ["GB mobile", "+44 7400 123456", "own-contact", RU, ok("447400123456", "GB")],
    ["+44 7911 is Guernsey", "+447911123456", "own-contact", RU, ok("447911123456", "GG")],
    ["UZ mobile", "+998 90 123 45 67", "typed", RU, ok("998901234567", "UZ")],
    ["RU toll free 8800", "8 800 555 35 35", "typed", RU, no("not-mobile", "RU")],
    ["US toll free", "+1 800 555 0199", "typed", RU, no("not-mobile", "US")],
    // Typed RU landline is refused, not reread as "+84 95..." (a valid Vietnamese mobile).
    ["RU landline (Moscow)", "8 495 123-45-67", "typed", RU, no("not-mobile", "RU")],
    ["DE landline", "+49 30 12345678", "typed", RU, no("not-mobile", "DE")],
    ["too short", "977 62", "typed", RU, no("too-short")],
    ["too short with +", "+7977", "own-contact", RU, no("too-short")],
    ["9 digits too short", "977620077", "typed", RU, no("too-short")],
    ["16 digits too long", "+7 977 620 07 77 12345", "typed", RU, no("too-long")],
    ["15 digits, no such length", "123456789012345", "typed", RU, no("too-long")],
    ["Brainysoft doc example (12 digits)", "797762007777", "typed", RU, no("invalid")],
    ["Brainysoft doc example with +", "+797762007777", "own-contact", RU, no("invalid")],
    ["unknown country code", "+0123456789", "typed", RU, no("invalid")],
    ["letter O instead of zero", "+7 977 62O-07-77", "typed", RU, no("letters")],
    ["words", "мой номер 89776200777", "typed", RU, no("letters")],
    ["USSD code", "*100#", "typed", RU, no("letters")],
    ["+ in the middle", "8+9776200777", "typed", RU, no("letters")],
    ["empty", "", "typed", RU, no("empty")],
    ["only spaces", "   ", "typed", RU, no("empty")],
    ["only separators", "+ ( ) -", "typed", RU, no("empty")],
    [
      "allowed countries refuse UA",
      "+380501234567",
      "typed",
      { defaultCountry: "RU", allowedCountries: ["RU", "KZ"] },
      no("country-not-allowed", "UA"),
    ],
    [
      "allowed countries accept KZ",
      "77011234567",
      "typed",
      { defaultCountry: "RU", allowedCountries: ["RU", "KZ"] },
      ok("77011234567", "KZ"),
    ],
    [
      "allowed RU only refuses KZ on +7",
      "+7 701 123 45 67",
      "typed",
      { defaultCountry: "RU", allowedCountries: ["RU"] },
      no("country-not-allowed", "KZ"),
    ],
    [
      "type is checked before country",
      "+1 800 555 0199",
      "typed",
      { defaultCountry: "RU", allowedCountries: ["RU"] },
      no("not-mobile", "US"),
    ],
  ];
  it.each(cases)("%s: %j", (_label, input, source, rules, expected) => {
    expect(normalizePhone(input, source, rules)).toEqual(expected);
  });
});

describe("formatPhone", () => {
  it.each([
    ["79776200777", "+7 977 620-07-77"],
    ["77011234567", "+7 701 123 4567"],
    ["380501234567", "+380 50 123 4567"],
    ["12015550123", "+1 201 555 0123"],
    ["447400123456", "+44 7400 123456"],
    ["797762007777", "+797762007777"],
    ["123", "+123"],
  ])("%s → %s", (digits, expected) => {
    expect(formatPhone(digits)).toBe(expected);
  });
});

describe("maskPhone", () => {
  it.each([
    ["79776200777", "+7 977 ***-**-77"],
    ["77011234567", "+7 701 *** **67"],
    ["380501234567", "+380 50 1** **67"],
    ["12015550123", "+1 201 *** **23"],
    ["4930123456", "+49 30 1***56"],
    ["797762007777", "+7 977******77"],
    ["12345", "+1 ****"],
    ["9", "+*"],
    ["", "+"],
  ])("%s → %s", (digits, expected) => {
    expect(maskPhone(digits)).toBe(expected);
  });
});

describe("createPhoneFormats", () => {
  const rules: PhoneRules = { defaultCountry: "RU" };
  const numbers = ["79776200777", "77011234567", "380501234567", "12015550123", "4930123456", "797762007777", "12345", "9", ""];

  it("writes and masks every number as formatPhone and maskPhone do, also from its memory and past its limit", () => {
    const phones = createPhoneFormats(3);
    for (let pass = 0; pass < 2; pass++) {
      for (const digits of numbers) {
        expect(phones.format(digits)).toBe(formatPhone(digits));
        expect(phones.mask(digits)).toBe(maskPhone(digits));
      }
    }
  });

  it.each<[string, PhoneSource]>([
    ["8 977 620-07-77", "typed"],
    ["79776200777", "own-contact"],
    ["+380 50 123 4567", "card"],
    ["8 495 123-45-67", "typed"],
    ["12", "typed"],
  ])("takes %s (%s) as normalizePhone does, and then writes it as formatPhone does", (input, source) => {
    const phones = createPhoneFormats();
    const result = phones.normalize(input, source, rules);
    expect(result).toEqual(normalizePhone(input, source, rules));
    if (result.ok) {
      expect(phones.format(result.digits)).toBe(formatPhone(result.digits));
      expect(phones.mask(result.digits)).toBe(maskPhone(result.digits));
    }
  });
});

describe("extractPhone", () => {
  it.each([
    ["Иван +7 977 620-07-77", { phone: "+7 977 620-07-77", rest: "Иван" }],
    ["89776200777, Анна", { phone: "89776200777", rest: "Анна" }],
    ["Анна - 8 (977) 620 07 77; ", { phone: "8 (977) 620 07 77", rest: "Анна" }],
    ["Пётр: 9776200777", { phone: "9776200777", rest: "Пётр" }],
    ["Иван +7 977 620-07-77 Петров", { phone: "+7 977 620-07-77", rest: "Иван Петров" }],
    ["797762007777 Олег", { phone: "797762007777", rest: "Олег" }],
    ["нет телефона", undefined],
    ["Иван: 977-62", undefined],
  ])("%j", (text, expected) => {
    expect(extractPhone(text)).toEqual(expected);
  });

  it("finds a number the caller then normalises", () => {
    const found = extractPhone("Анна 8 (977) 620-07-77");
    expect(found && normalizePhone(found.phone, "typed", RU)).toEqual(ok("79776200777", "RU"));
  });
});

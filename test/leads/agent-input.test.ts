import { describe, expect, it } from "vitest";
import { contactFromCard, contactsFromText, textHasPhone } from "../../src/leads/agent-input.js";
import type { PhoneRules } from "../../src/phone.js";

const RU: PhoneRules = { defaultCountry: "RU" };

describe("contactsFromText", () => {
  it.each([
    ["Иван +7 977 620-07-77", "Иван"],
    ["+7 (977) 620 07 77 Иван", "Иван"],
    ["89776200777, Анна", "Анна"],
    ["Анна Мария — 8-977-620-07-77", "Анна Мария"],
    ["9776200777;Пётр", "Пётр"],
  ])("reads %s", (line, firstName) => {
    expect(contactsFromText(line, RU)).toEqual([{ ok: true, contact: { firstName, phone: "79776200777" }, label: line }]);
  });

  it("reads one contact per line, in order, skipping blank lines", () => {
    const inputs = contactsFromText("Иван +79776200777\n\n  \r\n+7 916 123-45-67 Анна\n", RU);
    expect(inputs.map((i) => (i.ok ? [i.contact.firstName, i.contact.phone] : i.refusal))).toEqual([
      ["Иван", "79776200777"],
      ["Анна", "79161234567"],
    ]);
  });

  it("refuses a line without a name, without a phone, with a wrong phone or with two phones, saying why", () => {
    const inputs = contactsFromText(
      [
        "+7 977 620-07-77",
        "Иван позвонить завтра",
        "Иван 8 800 555-35-35",
        "Иван 89776200777, 89161234567",
        "Иван 89776200777 89161234567",
        "Ира 12345678",
        "🙂 89776200777",
      ].join("\n"),
      RU,
    );
    expect(inputs.map((i) => (i.ok ? i.contact : i.refusal))).toEqual([
      { kind: "no-name", reason: "empty" },
      { kind: "no-phone" },
      { kind: "phone", reason: "not-mobile", country: "RU" },
      { kind: "several-phones" },
      // Two numbers with only a space between read as one that is too long: the agent is told which line.
      { kind: "phone", reason: "too-long" },
      { kind: "phone", reason: "too-short" },
      { kind: "no-name", reason: "no-letters" },
    ]);
  });

  it("respects ALLOWED_COUNTRIES and reads national numbers with DEFAULT_COUNTRY", () => {
    const [ua] = contactsFromText("Олег +380 50 123 4567", { defaultCountry: "RU", allowedCountries: ["RU"] });
    expect(ua).toMatchObject({ ok: false, refusal: { kind: "phone", reason: "country-not-allowed", country: "UA" } });
    const [kz] = contactsFromText("Айгуль 8 701 123 45 67", { defaultCountry: "KZ" });
    expect(kz).toMatchObject({ ok: true, contact: { phone: "77011234567" } });
  });

  it("labels a long line shortly, on one line", () => {
    const [input] = contactsFromText(`${"Очень ".repeat(20)}длинное имя 89776200777`, RU);
    expect(input?.ok).toBe(false);
    expect(Array.from(input!.label)).toHaveLength(60);
    expect(input!.label.endsWith("…")).toBe(true);
  });
});

describe("textHasPhone", () => {
  it("is true when any line carries something that looks like a phone", () => {
    expect(textHasPhone("привет\nИван 89776200777")).toBe(true);
    expect(textHasPhone("Иван 12345")).toBe(false);
    expect(textHasPhone("добрый день")).toBe(false);
  });
});

describe("contactFromCard", () => {
  it("takes the name from first_name, the last name from last_name, a national number by DEFAULT_COUNTRY", () => {
    expect(contactFromCard({ phone_number: "8 (977) 620-07-77", first_name: "Иван", last_name: "Петров" }, RU)).toEqual({
      ok: true,
      contact: { firstName: "Иван", lastName: "Петров", phone: "79776200777" },
      label: "Иван Петров 8 (977) 620-07-77",
    });
    expect(contactFromCard({ phone_number: "79776200777", first_name: " Анна " }, RU)).toMatchObject({
      ok: true,
      contact: { firstName: "Анна", lastName: undefined, phone: "79776200777" },
    });
  });

  it("reads a card that only carries a vCard", () => {
    const vcard = "BEGIN:VCARD\nVERSION:3.0\nN:Сидорова;Мария;;;\nFN:Мария Сидорова\nTEL;TYPE=CELL:+7 916 123-45-67\nEND:VCARD";
    expect(contactFromCard({ phone_number: "", first_name: "", vcard }, RU)).toEqual({
      ok: true,
      contact: { firstName: "Мария", lastName: "Сидорова", phone: "79161234567" },
      label: "Мария Сидорова +7 916 123-45-67",
    });
    const onlyFn = "BEGIN:VCARD\nFN:Пётр Иванович\nTEL:89776200777\nEND:VCARD";
    expect(contactFromCard({ vcard: onlyFn }, RU)).toMatchObject({
      ok: true,
      contact: { firstName: "Пётр Иванович", phone: "79776200777" },
    });
  });

  it("falls back to the vCard's mobile when phone_number is a landline, and refuses with the card's own reason otherwise", () => {
    const vcard = "BEGIN:VCARD\nTEL;TYPE=WORK:+7 495 123-45-67\nTEL;TYPE=CELL:+7 977 620-07-77\nEND:VCARD";
    expect(contactFromCard({ phone_number: "+7 495 123-45-67", first_name: "Иван", vcard }, RU)).toMatchObject({
      ok: true,
      contact: { phone: "79776200777" },
    });
    expect(contactFromCard({ phone_number: "+7 495 123-45-67", first_name: "Иван" }, RU)).toMatchObject({
      ok: false,
      refusal: { kind: "phone", reason: "not-mobile" },
    });
  });

  it("refuses a card without a phone or without a usable first name, and drops an unusable last name", () => {
    expect(contactFromCard({ phone_number: "", first_name: "Иван" }, RU)).toMatchObject({ ok: false, refusal: { kind: "no-phone" } });
    expect(contactFromCard({ phone_number: "+79776200777", first_name: "🙂" }, RU)).toMatchObject({
      ok: false,
      refusal: { kind: "no-name", reason: "no-letters" },
    });
    expect(contactFromCard({ phone_number: "+79776200777", first_name: "Иван", last_name: "⭐" }, RU)).toMatchObject({
      ok: true,
      contact: { firstName: "Иван", lastName: undefined },
    });
  });
});

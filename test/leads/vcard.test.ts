import { describe, expect, it } from "vitest";
import { decodeQuotedPrintable, leadPhones, MAX_VCARD_BYTES, parseVCard, vcardTooLarge } from "../../src/leads/vcard.js";

describe("parseVCard", () => {
  it("reads the card Telegram attaches to a shared contact (3.0)", () => {
    const card = parseVCard("BEGIN:VCARD\nVERSION:3.0\nN:Петров;Иван;;;\nFN:Иван Петров\nTEL;TYPE=CELL:+7 977 620-07-77\nEND:VCARD");
    expect(card).toEqual({
      familyName: "Петров",
      givenName: "Иван",
      fullName: "Иван Петров",
      phones: [{ value: "+7 977 620-07-77", types: ["cell"] }],
    });
  });

  it("unfolds continued lines and ignores groups, CRLF and parameter spellings", () => {
    const card = parseVCard(
      [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Анна Мария",
        "  Сидорова",
        "item1.TEL;type=HOME;type=VOICE:8 (495) 123-45-67",
        'item2.TEL;TYPE="cell,pref":8 916 12',
        "\t3-45-67",
        "TEL;VALUE=uri;TYPE=work:tel:+7-977-620-07-77",
        "END:VCARD",
        "",
      ].join("\r\n"),
    );
    expect(card.fullName).toBe("Анна Мария Сидорова");
    expect(card.givenName).toBeUndefined();
    expect(card.phones).toEqual([
      { value: "8 (495) 123-45-67", types: ["home", "voice"] },
      { value: "8 916 123-45-67", types: ["cell", "pref"] },
      { value: "+7-977-620-07-77", types: ["work"] },
    ]);
  });

  it("decodes vCard 2.1 quoted-printable UTF-8 with soft line breaks and bare types", () => {
    const card = parseVCard(
      [
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=9F=D0=B5=D1=82=D1=80=D0=BE=D0=B2;=D0=98=D0=B2=",
        "=D0=B0=D0=BD;;;",
        "TEL;CELL;PREF:+79776200777",
        "END:VCARD",
      ].join("\n"),
    );
    expect(card.familyName).toBe("Петров");
    expect(card.givenName).toBe("Иван");
    expect(card.phones).toEqual([{ value: "+79776200777", types: ["cell", "pref"] }]);
  });

  it("unescapes commas and semicolons, and joins a name component's several values with a space", () => {
    const card = parseVCard("BEGIN:VCARD\nN:O\\;Brien;Jean\\,Luc;;;\nFN:Jean\\, Luc\nEND:VCARD");
    expect(parseVCard("BEGIN:VCARD\nN:Петров;Анна,Мария;;;\nEND:VCARD").givenName).toBe("Анна Мария");
    expect(card.familyName).toBe("O;Brien");
    expect(card.givenName).toBe("Jean,Luc");
    expect(card.fullName).toBe("Jean, Luc");
  });

  it("stops at END:VCARD and ignores lines that are not properties", () => {
    const card = parseVCard("garbage\nBEGIN:VCARD\nFN:Иван\nEND:VCARD\nBEGIN:VCARD\nFN:Другой\nTEL:+79161234567\nEND:VCARD");
    expect(card).toEqual({ fullName: "Иван", phones: [] });
  });

  it("returns nothing from an empty or non-vCard text", () => {
    expect(parseVCard("")).toEqual({ phones: [] });
    expect(parseVCard("just some text")).toEqual({ phones: [] });
  });
});

describe("quoted-printable and the size of a card", () => {
  it("decodes a 1 MB quoted-printable line in one pass, keeping what is not an escape as it is", () => {
    const escaped = "=D0=98=d0=b2".repeat((1024 * 1024) / 12);
    expect(decodeQuotedPrintable(escaped)).toBe("Ив".repeat((1024 * 1024) / 12));
    // A lone "=", a non-hex escape and raw non-ASCII text pass through; an escape at the very end decodes.
    const mixed = `${"a=ZZ Ё=\u{1F600}=".repeat(100_000)}=41`;
    expect(decodeQuotedPrintable(mixed)).toBe(`${"a=ZZ Ё=\u{1F600}=".repeat(100_000)}A`);
  });

  it("joins many soft line breaks of a card just under the cap", () => {
    // 73 bytes a line (12 escaped letters and the soft break), as long as fits under the cap.
    const lines = Array.from({ length: Math.floor((MAX_VCARD_BYTES - 200) / 74) }, () => `${"=D0=98".repeat(12)}=`);
    const text = [
      "BEGIN:VCARD",
      "VERSION:2.1",
      `FN;ENCODING=QUOTED-PRINTABLE:${lines.join("\n")}`,
      "",
      "TEL;CELL:+79776200777",
      "END:VCARD",
    ].join("\n");
    expect(vcardTooLarge(text)).toBe(false);
    const card = parseVCard(text);
    expect(card.fullName).toBe("И".repeat(12 * lines.length));
    expect(card.phones).toEqual([{ value: "+79776200777", types: ["cell"] }]);
  });

  it("does not read a card over 64 KB, counted in UTF-8 bytes", () => {
    const card = (fill: string) => `BEGIN:VCARD\nFN:${fill}\nTEL;CELL:+79776200777\nEND:VCARD`;
    expect(MAX_VCARD_BYTES).toBe(64 * 1024);
    const oneMegabyteLine = card("=D0=98".repeat((1024 * 1024) / 6));
    expect(vcardTooLarge(oneMegabyteLine)).toBe(true);
    expect(parseVCard(oneMegabyteLine)).toEqual({ phones: [] });
    // 40 000 Cyrillic letters are 80 000 bytes, though only 40 000 characters.
    expect(vcardTooLarge(card("Ж".repeat(40_000)))).toBe(true);
    expect(parseVCard(card("Ж".repeat(40_000)))).toEqual({ phones: [] });
    expect(parseVCard(card("Ж".repeat(30_000))).phones).toHaveLength(1);
    expect(vcardTooLarge(undefined)).toBe(false);
  });
});

describe("leadPhones", () => {
  it("puts mobiles first, keeps the card's order otherwise, and leaves out fax and pager", () => {
    const card = parseVCard(
      [
        "BEGIN:VCARD",
        "TEL;TYPE=FAX:+74951111111",
        "TEL;TYPE=HOME:+74952222222",
        "TEL:+74953333333",
        "TEL;TYPE=iPhone:+79161234567",
        "TEL;TYPE=CELL:+79776200777",
        "TEL;TYPE=PAGER:+74954444444",
        "END:VCARD",
      ].join("\n"),
    );
    expect(leadPhones(card)).toEqual(["+79161234567", "+79776200777", "+74952222222", "+74953333333"]);
  });
});

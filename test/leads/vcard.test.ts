import { describe, expect, it } from "vitest";
import { leadPhones, parseVCard } from "../../src/leads/vcard.js";

describe("parseVCard", () => {
  it("reads the card Telegram attaches to a shared contact (3.0)", () => {
    const card = parseVCard(
      "BEGIN:VCARD\nVERSION:3.0\nN:Петров;Иван;;;\nFN:Иван Петров\nTEL;TYPE=CELL:+7 977 620-07-77\nEND:VCARD",
    );
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

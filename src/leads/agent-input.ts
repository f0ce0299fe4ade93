/**
 * What a call-center agent hands in, turned into lead details or a reason it cannot be one: a contact
 * card (shared, forwarded, or only a vCard) or typed lines "name + phone" in any order.
 */
import { normalizeFirstName, type NameRefusal } from "../name.js";
import { extractPhone, normalizePhone, type PhoneRefusal, type PhoneRules } from "../phone.js";
import { leadPhones, parseVCard } from "./vcard.js";

export interface AgentContact {
  firstName: string;
  lastName?: string | undefined;
  /** Digits only, international. */
  phone: string;
}

export type AgentRefusal =
  | { kind: "no-phone" }
  | { kind: "phone"; reason: PhoneRefusal; country?: string | undefined }
  | { kind: "several-phones" }
  | { kind: "no-name"; reason: NameRefusal };

export type AgentInput = { ok: true; contact: AgentContact; label: string } | { ok: false; refusal: AgentRefusal; label: string };

/** The fields of a Telegram Contact this reads; all may be missing or blank (vCard-only cards). */
export interface ContactCard {
  phone_number?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  vcard?: string | undefined;
}

// Long enough to recognise a line, short enough for one line of a chat answer.
const LABEL_LENGTH = 60;

/** A short, single-line rendering of what the agent sent, so a refusal says which contact it is about. */
function label(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(line);
  return chars.length > LABEL_LENGTH ? `${chars.slice(0, LABEL_LENGTH - 1).join("")}…` : line;
}

const blank = (value: string | undefined): value is undefined => value === undefined || value.trim() === "";

/**
 * A contact card: the name from first_name (last_name as the last name), the phone from phone_number,
 * read as written in an address book (national numbers use DEFAULT_COUNTRY). Whatever the card leaves
 * blank is read from its vCard, whose other numbers are also tried when phone_number is not a mobile.
 */
export function contactFromCard(card: ContactCard, rules: PhoneRules): AgentInput {
  const vcard = blank(card.vcard) ? undefined : parseVCard(card.vcard);
  const useCardName = !blank(card.first_name);
  const firstName = useCardName ? card.first_name : (vcard?.givenName ?? vcard?.fullName);
  const lastName = useCardName ? card.last_name : vcard?.givenName ? vcard.familyName : undefined;
  const phones = [...(blank(card.phone_number) ? [] : [card.phone_number]), ...(vcard ? leadPhones(vcard) : [])];
  const shown = label([firstName, lastName, phones[0]].filter((part) => !blank(part)).join(" "));

  let refusal: AgentRefusal = { kind: "no-phone" };
  let phone: string | undefined;
  for (const candidate of phones) {
    const result = normalizePhone(candidate, "card", rules);
    if (result.ok) {
      phone = result.digits;
      break;
    }
    // The reason given is the first number's: that is the one the agent sees on the card.
    if (refusal.kind === "no-phone") refusal = { kind: "phone", reason: result.reason, country: result.country };
  }
  if (phone === undefined) return { ok: false, refusal, label: shown };
  return withName(firstName ?? "", lastName, phone, shown);
}

/**
 * Typed text, one contact per non-empty line: a phone and a name in any order and with any common
 * separators (`Иван +7 977 620-07-77`, `+7 (977) 620 07 77 Иван`, `89776200777, Анна`). The whole
 * rest of the line is the first name: whether "Иван Петров" or "Петров Иван" comes first is a guess
 * we would get wrong half the time, and the CRM takes a full name in firstName.
 */
export function contactsFromText(text: string, rules: PhoneRules): AgentInput[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .map((line) => contactFromLine(line, rules));
}

/** Whether text is meant as agent lines at all: some line carries something that looks like a phone. */
export function textHasPhone(text: string): boolean {
  return text.split(/\r?\n/).some((line) => extractPhone(line) !== undefined);
}

function contactFromLine(line: string, rules: PhoneRules): AgentInput {
  const shown = label(line);
  const found = extractPhone(line);
  if (!found) return { ok: false, refusal: { kind: "no-phone" }, label: shown };
  if (extractPhone(found.rest)) return { ok: false, refusal: { kind: "several-phones" }, label: shown };
  const phone = normalizePhone(found.phone, "card", rules);
  if (!phone.ok) return { ok: false, refusal: { kind: "phone", reason: phone.reason, country: phone.country }, label: shown };
  return withName(found.rest, undefined, phone.digits, shown);
}

function withName(first: string, last: string | undefined, phone: string, shown: string): AgentInput {
  const firstName = normalizeFirstName(first);
  if (!firstName.ok) return { ok: false, refusal: { kind: "no-name", reason: firstName.reason }, label: shown };
  // A last name the CRM would not take (emoji only, a number) is dropped: the lead stands without it.
  const lastName = last === undefined ? undefined : normalizeFirstName(last);
  return { ok: true, contact: { firstName: firstName.name, lastName: lastName?.ok ? lastName.name : undefined, phone }, label: shown };
}

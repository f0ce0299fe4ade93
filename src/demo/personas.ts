import type { FakeUser } from "../fakes/fake-telegram.js";

/** Someone the sandbox lets you be: a Telegram user with a role the demo bot is configured to give them. */
export interface Persona {
  key: string;
  role: "customer" | "agent" | "admin";
  user: FakeUser;
  /** What Telegram puts in the contact when this person taps "share my number": digits, no "+". */
  phone: string;
  /** Address-book cards an agent can hand in (people who are not this Telegram user). */
  sampleCards?: SampleCard[];
}

export interface SampleCard {
  first_name: string;
  last_name?: string;
  phone_number: string;
}

// Ids far from the ones the tests use, so a log line tells which one it came from.
export const PERSONAS: readonly Persona[] = [
  {
    key: "customer-ru",
    role: "customer",
    user: { id: 710_001, first_name: "Фридрих", language_code: "ru" },
    phone: "79776200777",
  },
  {
    key: "customer-en",
    role: "customer",
    user: { id: 710_002, first_name: "John", last_name: "Smith", language_code: "en" },
    phone: "14155552671",
  },
  {
    key: "agent",
    role: "agent",
    user: { id: 720_001, first_name: "Анна", language_code: "ru" },
    phone: "79035550101",
    // Written the way address books hold numbers: national, spaced, with and without "+".
    sampleCards: [
      { first_name: "Мария", last_name: "Иванова", phone_number: "+7 916 123-45-67" },
      { first_name: "Пётр", phone_number: "8 903 555-12-34" },
      { first_name: "Ольга", last_name: "Смирнова", phone_number: "+7 926 111-22-33" },
    ],
  },
  {
    key: "admin",
    role: "admin",
    user: { id: 730_001, first_name: "Admin", language_code: "en" },
    phone: "79035550102",
  },
];

export const idsOf = (role: Persona["role"]): string =>
  PERSONAS.filter((p) => p.role === role)
    .map((p) => p.user.id)
    .join(",");

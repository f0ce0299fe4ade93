/** What the person in the open chat does: type, share a contact, press an inline button. */
import type { SampleCard } from "../personas.js";
import type { Chat } from "./chats.js";
import { demoApi, type SharedContact } from "./demo-api.js";
import { clock, el, errorText, fullName, initial } from "./dom.js";

export interface Person {
  sendText(chat: Chat, text: string): Promise<void>;
  sendContact(chat: Chat, contact: SharedContact): Promise<void>;
  pressInline(chat: Chat, messageId: number, data: string, button: HTMLButtonElement): Promise<void>;
}

export interface PersonDeps {
  toast(text: string): void;
  /** After the person's own message was added to the chat: the chat's chrome and scroll follow. */
  wrote(chat: Chat): void;
}

export function createPerson(deps: PersonDeps): Person {
  function myRow(chat: Chat, body: Node): HTMLDivElement {
    const row = el("div", "row me");
    const bubble = el("div", "bubble");
    bubble.append(body, el("span", "meta", clock(Date.now())));
    row.append(bubble);
    chat.list.append(row);
    chat.sentAnything = true;
    deps.wrote(chat);
    return row;
  }

  async function delivered(row: HTMLDivElement, sending: Promise<unknown>): Promise<void> {
    try {
      await sending;
    } catch (error) {
      row.classList.add("failed");
      deps.toast(`Not delivered: ${errorText(error)}`);
    }
  }

  return {
    sendText(chat, text) {
      const row = myRow(chat, document.createTextNode(text));
      return delivered(row, demoApi.sendText(chat.persona.user, text));
    },

    sendContact(chat, contact) {
      const card = el("div", "contact-card");
      const info = el("div");
      const phone = /^\d+$/.test(contact.phone_number) ? `+${contact.phone_number}` : contact.phone_number;
      info.append(el("div", "name", fullName(contact)), el("div", "sub", phone));
      card.append(el("div", "avatar role-customer", initial(contact.first_name)), info);
      const row = myRow(chat, card);
      return delivered(row, demoApi.sendContact(chat.persona.user, contact));
    },

    async pressInline(chat, messageId, data, button) {
      button.disabled = true;
      try {
        await demoApi.pressButton(chat.persona.user, chat.persona.user.id, messageId, data);
      } catch (error) {
        deps.toast(errorText(error));
      } finally {
        setTimeout(() => {
          button.disabled = false;
        }, 600);
      }
    },
  };
}

/** What Telegram sends for "share my number": the person's own phone, with their user id. */
export function ownContact(chat: Chat): SharedContact {
  const { user, phone } = chat.persona;
  return { phone_number: phone, first_name: user.first_name, ...(user.last_name ? { last_name: user.last_name } : {}), user_id: user.id };
}

/** The agent's address-book cards, one after another. */
export function nextSampleCard(chat: Chat): SampleCard | undefined {
  const cards = chat.persona.sampleCards ?? [];
  const card = cards[chat.nextCard % cards.length];
  chat.nextCard++;
  return card;
}

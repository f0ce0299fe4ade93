/** The bot's reply keyboard under the open chat, and the agent's "sample contact card" button. */
import type { Chat } from "./chats.js";
import { el } from "./dom.js";
import { nextSampleCard, ownContact, type Person } from "./person.js";
import type { Ui } from "./ui.js";

export function renderReplyKeyboard(ui: Ui, chat: Chat, person: Person): void {
  const box = ui.replyKeyboard;
  box.replaceChildren();
  const markup = chat.keyboard;
  ui.toggleKeyboard.hidden = !markup;
  box.hidden = !markup || chat.keyboardHidden || !ui.startBar.hidden;
  if (!markup || box.hidden) return;
  // A one-time keyboard hides once used, as Telegram's does.
  const use = (action: () => Promise<void>) => () => {
    if (markup.one_time_keyboard) chat.keyboardHidden = true;
    renderReplyKeyboard(ui, chat, person);
    void action();
  };
  for (const buttons of markup.keyboard) {
    const line = el("div", "rk-row");
    for (const button of buttons) {
      const spec = typeof button === "string" ? { text: button } : button;
      const press = el("button", "", spec.text);
      press.type = "button";
      if ("request_contact" in spec && spec.request_contact) {
        press.dataset.requestContact = "true";
        press.addEventListener(
          "click",
          use(() => person.sendContact(chat, ownContact(chat))),
        );
      } else if (Object.keys(spec).length === 1) {
        press.addEventListener(
          "click",
          use(() => person.sendText(chat, spec.text)),
        );
      } else {
        press.disabled = true;
        press.title = "Not available in the sandbox";
      }
      line.append(press);
    }
    box.append(line);
  }
}

export function renderPersonaActions(ui: Ui, chat: Chat, person: Person): void {
  const box = ui.personaActions;
  box.replaceChildren();
  box.hidden = !chat.persona.sampleCards?.length;
  if (box.hidden) return;
  const button = el("button", "", "📇 Send a sample contact card");
  button.type = "button";
  button.id = "send-card";
  button.title = "Hand in someone's contact from the address book, as an agent does";
  button.addEventListener("click", () => {
    const card = nextSampleCard(chat);
    if (card) void person.sendContact(chat, card);
  });
  box.append(button);
}

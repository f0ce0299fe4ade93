import { byId } from "./dom.js";

/** The fixed elements of page.html the script fills in. */
export interface Ui {
  personas: HTMLUListElement;
  chat: HTMLElement;
  botAvatar: HTMLDivElement;
  botName: HTMLDivElement;
  botSub: HTMLDivElement;
  you: HTMLDivElement;
  messages: HTMLDivElement;
  replyKeyboard: HTMLDivElement;
  personaActions: HTMLDivElement;
  startBar: HTMLDivElement;
  start: HTMLButtonElement;
  composer: HTMLFormElement;
  menuButton: HTMLButtonElement;
  attach: HTMLButtonElement;
  text: HTMLInputElement;
  toggleKeyboard: HTMLButtonElement;
  popover: HTMLDivElement;
  faults: HTMLDivElement;
  queue: HTMLParagraphElement;
  crmLeads: HTMLOListElement;
  events: HTMLOListElement;
}

export function findUi(): Ui {
  return {
    personas: byId("personas", HTMLUListElement),
    chat: byId("chat", HTMLElement),
    botAvatar: byId("bot-avatar", HTMLDivElement),
    botName: byId("bot-name", HTMLDivElement),
    botSub: byId("bot-sub", HTMLDivElement),
    you: byId("you", HTMLDivElement),
    messages: byId("messages", HTMLDivElement),
    replyKeyboard: byId("reply-keyboard", HTMLDivElement),
    personaActions: byId("persona-actions", HTMLDivElement),
    startBar: byId("start-bar", HTMLDivElement),
    start: byId("start", HTMLButtonElement),
    composer: byId("composer", HTMLFormElement),
    menuButton: byId("menu-button", HTMLButtonElement),
    attach: byId("attach", HTMLButtonElement),
    text: byId("text", HTMLInputElement),
    toggleKeyboard: byId("toggle-keyboard", HTMLButtonElement),
    popover: byId("popover", HTMLDivElement),
    faults: byId("faults", HTMLDivElement),
    queue: byId("queue", HTMLParagraphElement),
    crmLeads: byId("crm-leads", HTMLOListElement),
    events: byId("events", HTMLOListElement),
  };
}

/** The popovers above the composer: the attachment menu (share a contact) and the bot's command menu. */
import type { Chat } from "./chats.js";
import { demoApi } from "./demo-api.js";
import { el, errorText, fullName } from "./dom.js";
import { ownContact, type Person } from "./person.js";
import type { Ui } from "./ui.js";

interface MenuItem {
  label: string;
  /** Shown before the label: an icon, or the command. */
  prefix: string;
  action(): void;
}

export interface MenusDeps {
  ui: Ui;
  person: Person;
  activeChat(): Chat;
  toast(text: string): void;
}

/** Wires the two menu buttons; returns the function that closes whichever menu is open. */
export function installMenus({ ui, person, activeChat, toast }: MenusDeps): () => void {
  const box = ui.popover;
  const close = () => {
    box.hidden = true;
    box.replaceChildren();
  };
  const open = (items: MenuItem[], emptyText: string) => {
    box.replaceChildren();
    if (items.length === 0) box.append(el("p", "", emptyText));
    for (const item of items) {
      const button = el("button");
      button.type = "button";
      if (item.prefix) button.append(el("span", "cmd", item.prefix));
      button.append(document.createTextNode(item.label));
      button.addEventListener("click", () => {
        close();
        item.action();
      });
      box.append(button);
    }
    box.hidden = false;
  };

  ui.attach.addEventListener("click", () => {
    if (!box.hidden) return close();
    const chat = activeChat();
    const own = ownContact(chat);
    const items: MenuItem[] = [
      { label: `My contact · +${own.phone_number}`, prefix: "👤", action: () => void person.sendContact(chat, own) },
    ];
    for (const card of chat.persona.sampleCards ?? []) {
      items.push({ label: `${fullName(card)} · ${card.phone_number}`, prefix: "📇", action: () => void person.sendContact(chat, card) });
    }
    open(items, "");
  });

  ui.menuButton.addEventListener("click", async () => {
    if (!box.hidden) return close();
    const chat = activeChat();
    try {
      const { commands } = await demoApi.commands(chat.persona.user);
      const items = commands.map(
        (c): MenuItem => ({ label: c.description, prefix: `/${c.command}`, action: () => void person.sendText(chat, `/${c.command}`) }),
      );
      open(items, "The bot has set no command menu for this chat. Type a command, e.g. /help.");
    } catch (error) {
      toast(errorText(error));
    }
  });

  document.addEventListener("click", (event) => {
    const outside = !(event.target instanceof Element) || !event.target.closest("#popover, #attach, #menu-button");
    if (!box.hidden && outside) close();
  });

  return close;
}

/** The sandbox server's routes as the page calls them (see ../server.ts and ../answers.ts). */
import type { FakeUser } from "../../fakes/fake-telegram.js";
import type { CommandsAnswer, CrmAnswer, EventsAnswer, InfoAnswer, MessagesAnswer } from "../answers.js";
import type { DemoFault } from "../crm-view.js";
import type { SampleCard } from "../personas.js";

/** A contact as the person shares it: their own (with user_id) or a card from the address book. */
export type SharedContact = SampleCard & { user_id?: number };

async function call<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const post: RequestInit = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, { ...(body === undefined ? {} : post), signal: signal ?? null });
  const data = (await response.json()) as ({ ok: true } & T) | { ok: false; error?: string }; // the page's own server, typed by ../answers.ts
  if (!data.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

export const demoApi = {
  info: () => call<InfoAnswer>("/demo/info"),
  crm: () => call<CrmAnswer>("/demo/crm"),
  setFault: (fault: DemoFault) => call<{ fault: DemoFault }>("/demo/crm/fault", { fault }),
  events: () => call<EventsAnswer>("/demo/events"),
  commands: (user: FakeUser) => call<CommandsAnswer>(`/demo/commands?chat=${user.id}&lang=${encodeURIComponent(user.language_code ?? "")}`),
  /** Records of a chat after `since`; with `wait`, a long poll that answers once there is one. */
  messages: (chatId: number, since: number, options: { wait?: number; signal?: AbortSignal } = {}) =>
    call<MessagesAnswer>(
      `/control/chats/${chatId}/messages?since=${since}${options.wait ? `&wait=${options.wait}` : ""}`,
      undefined,
      options.signal,
    ),
  sendText: (user: FakeUser, text: string) => call<{ update_id: number }>("/control/text", { user, text }),
  sendContact: (user: FakeUser, contact: SharedContact) => call<{ update_id: number }>("/control/contact", { user, contact }),
  pressButton: (user: FakeUser, chatId: number, messageId: number, data: string) =>
    call<{ update_id: number }>("/control/callback", { user, chatId, messageId, data }),
};

/** Small DOM helpers. The page builds every node itself: nothing is ever assigned to innerHTML. */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The element with that id, checked to be of the kind the code expects (a page edit that breaks it fails at start). */
export function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T; name: string }): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`the page has no ${kind.name} #${id}`);
  return node;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
export const clockSeconds = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
export const fullName = (person: { first_name: string; last_name?: string | undefined }) =>
  [person.first_name, person.last_name].filter(Boolean).join(" ");
/** The first letter of a name, for an avatar (a whole emoji or surrogate pair, not half of one). */
export const initial = (name: string) => [...name][0] ?? "?";

export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A short note over the chat that goes by itself; a new one replaces the last. */
export function createToast(container: HTMLElement): (text: string) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (text) => {
    container.querySelector(".toast")?.remove();
    const box = el("div", "toast", text);
    container.append(box);
    clearTimeout(timer);
    timer = setTimeout(() => box.remove(), 4000);
  };
}

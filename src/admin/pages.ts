/**
 * Telegram's limits on what the admin views send, counted as Telegram counts them, and long lists cut
 * into pages that each fit one message (shown with « » buttons by the features).
 */

/** A message text: at most 4096 characters after entity parsing (tags do not count, `&lt;` is one). */
export const MESSAGE_TEXT_LIMIT = 4096;
/** A caption: at most 1024 characters after entity parsing. */
export const CAPTION_LIMIT = 1024;

/**
 * How long Telegram counts our HTML: tags removed, each entity reference one character, in UTF-16 code
 * units (as Telegram counts offsets; an emoji is two). For the HTML the bot builds, where `<` only
 * starts a tag and `&` only starts a reference (escapeHtml sees to both).
 */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(?:[a-z]+|#\d+|#x[0-9a-f]+);/gi, "&").length;
}

/** `text` cut to at most `max` UTF-16 units, ending with "…" when cut; never halves a surrogate pair. */
export function ellipsize(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = "";
  for (const char of text) {
    if (cut.length + char.length > max - 1) break;
    cut += char;
  }
  return `${cut}…`;
}

export interface Page<T> {
  items: T[];
  /** 0-based, within [0, pages). */
  index: number;
  pages: number;
}

/**
 * Page `index` (clamped to the pages there are) of `blocks` cut into pages of at most `perPage` blocks
 * whose HTML, joined by `separator` and with `frame` more characters around them (header, footer),
 * fits in `limit`. The cut is the same whichever page is asked for, so « » move between the same pages.
 * A single block too long for a page alone gets a page of its own; the caller keeps blocks short.
 */
export function pageOf<T>(
  blocks: readonly T[],
  index: number,
  options: { perPage: number; frame: number; separator?: string; limit?: number; render: (item: T) => string },
): Page<T> {
  const room = (options.limit ?? MESSAGE_TEXT_LIMIT) - options.frame;
  const gap = visibleLength(options.separator ?? "\n\n");
  const pages: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const block of blocks) {
    const size = visibleLength(options.render(block));
    const grown = current.length === 0 ? size : used + gap + size;
    if (current.length > 0 && (current.length >= options.perPage || grown > room)) {
      pages.push(current);
      current = [];
      used = size;
    } else {
      used = grown;
    }
    current.push(block);
  }
  if (current.length > 0 || pages.length === 0) pages.push(current);
  const at = Math.min(Math.max(0, index), pages.length - 1);
  return { items: pages[at] ?? [], index: at, pages: pages.length };
}

/**
 * Adds « and » buttons for the pages before and after this one, when there are such pages; their
 * callback data is `<prefix>:<page index>`, a few ASCII bytes (Telegram allows 64).
 */
export function addPageButtons(
  keyboard: { text(label: string, data: string): unknown },
  page: Page<unknown>,
  dataOf: (index: number) => string,
  t: (key: string, vars?: Record<string, string | number>) => string,
): void {
  if (page.index > 0) keyboard.text(t("paging-previous", { page: page.index }), dataOf(page.index - 1));
  if (page.index < page.pages - 1) keyboard.text(t("paging-next", { page: page.index + 2 }), dataOf(page.index + 1));
}

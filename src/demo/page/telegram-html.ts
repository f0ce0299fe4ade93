/**
 * Bot texts arrive as Telegram HTML and are rebuilt node by node from a whitelist of the tags Telegram
 * accepts: anything else is dropped or flattened to its text, and links keep only safe schemes.
 */

const TAGS: Record<string, keyof HTMLElementTagNameMap> = {
  b: "b",
  strong: "b",
  i: "i",
  em: "i",
  u: "u",
  ins: "u",
  s: "s",
  strike: "s",
  del: "s",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  a: "a",
  "tg-spoiler": "span",
  span: "span",
};
const DROPPED = new Set(["script", "style", "template", "iframe", "object", "embed", "noscript"]);
const SAFE_LINK = /^(https?:|tg:|mailto:)/i;

/** Points the link at `href` in a new tab, or leaves it without a target when the scheme is not a safe one. */
export function linkTo(link: HTMLAnchorElement, href: string): void {
  if (!SAFE_LINK.test(href)) return;
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
}

export function telegramHtml(html: string): DocumentFragment {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const out = document.createDocumentFragment();
  copySafe(parsed.body, out);
  return out;
}

function copySafe(from: Node, to: Node): void {
  for (const node of Array.from(from.childNodes)) {
    if (node instanceof Text) {
      to.appendChild(document.createTextNode(node.data));
      continue;
    }
    if (!(node instanceof Element) || DROPPED.has(node.localName)) continue;
    const tag = Object.hasOwn(TAGS, node.localName) ? TAGS[node.localName] : undefined;
    if (!tag) {
      copySafe(node, to);
      continue;
    }
    const copy = document.createElement(tag);
    if (copy instanceof HTMLAnchorElement) linkTo(copy, node.getAttribute("href") ?? "");
    if (node.localName === "tg-spoiler" || (node.localName === "span" && node.classList.contains("tg-spoiler"))) {
      copy.className = "spoiler";
      copy.addEventListener("click", () => copy.classList.add("shown"));
    }
    copySafe(node, copy);
    to.appendChild(copy);
  }
}

/** Small formatting shared by the admin views and alerts; texts come from admin.ftl. */

export type Tr = (key: string, vars?: Record<string, string | number>) => string;

/** The admin features' Tr: texts in the language of the person the update came from. */
export const trOf =
  (ctx: { t(key: string, vars?: Record<string, string | number>): string }): Tr =>
  (key, vars) =>
    ctx.t(key, vars);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "45 s", "12 min", "2 h 5 min", "3 d 4 h": two units at most, readable at a glance. */
export function formatDuration(ms: number, t: Tr): string {
  const n = Math.max(0, ms);
  if (n < MINUTE) return t("unit-seconds", { n: Math.floor(n / 1000) });
  if (n < HOUR) return t("unit-minutes", { n: Math.floor(n / MINUTE) });
  if (n < DAY) {
    const minutes = Math.floor((n % HOUR) / MINUTE);
    const hours = t("unit-hours", { n: Math.floor(n / HOUR) });
    return minutes === 0 ? hours : `${hours} ${t("unit-minutes", { n: minutes })}`;
  }
  const hours = Math.floor((n % DAY) / HOUR);
  const days = t("unit-days", { n: Math.floor(n / DAY) });
  return hours === 0 ? days : `${days} ${t("unit-hours", { n: hours })}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * `at` in the server's time zone (set TZ), as everywhere in the admin views, by a pattern of YYYY, MM,
 * DD, hh, mm and ss: "DD.MM hh:mm" gives "05.03 14:07", short enough for a phone screen.
 */
export function formatLocalTime(at: number, pattern: string): string {
  const d = new Date(at);
  const parts: Record<string, string> = {
    YYYY: String(d.getFullYear()),
    MM: pad(d.getMonth() + 1),
    DD: pad(d.getDate()),
    hh: pad(d.getHours()),
    mm: pad(d.getMinutes()),
    ss: pad(d.getSeconds()),
  };
  return pattern.replace(/YYYY|MM|DD|hh|mm|ss/g, (token) => parts[token] ?? token);
}

/** Local midnight of the day `at` falls on, `daysBack` days earlier. */
export function startOfDay(at: number, daysBack = 0): number {
  const d = new Date(at);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysBack).getTime();
}

export type SourceOf = { actor: string; agentId?: number | undefined; source: string };

/** Where a lead came from, as admins think of it: a customer by themselves, an agent, or a deep link. */
type Origin = { kind: "customer" } | { kind: "agent"; id: string } | { kind: "link"; link: string };

function originOf(lead: SourceOf): Origin {
  if (lead.actor === "agent") return { kind: "agent", id: String(lead.agentId ?? "?") };
  if (lead.source === "direct" || lead.source === "customer") return { kind: "customer" };
  return { kind: "link", link: lead.source };
}

/** "customer", "agent:42", "link:spring_promo": leads with the same key came the same way. */
export function sourceKey(lead: SourceOf): string {
  const origin = originOf(lead);
  return origin.kind === "customer" ? "customer" : origin.kind === "agent" ? `agent:${origin.id}` : `link:${origin.link}`;
}

/** The same, in words: "customer", "agent 42", "link spring_promo". */
export function sourceLabel(lead: SourceOf, t: Tr): string {
  const origin = originOf(lead);
  if (origin.kind === "agent") return t("source-agent", { id: origin.id });
  return origin.kind === "customer" ? t("source-customer") : t("source-link", { link: origin.link });
}

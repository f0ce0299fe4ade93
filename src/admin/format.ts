/** Small formatting shared by the admin views and alerts; texts come from admin.ftl. */

export type Tr = (key: string, vars?: Record<string, string | number>) => string;

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

/** "05.03 14:07" in the server's time zone (set TZ): short enough for a phone screen. */
export function formatShortTime(at: number): string {
  const d = new Date(at);
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local midnight of the day `at` falls on, `daysBack` days earlier. */
export function startOfDay(at: number, daysBack = 0): number {
  const d = new Date(at);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysBack).getTime();
}

/** Where a lead came from, as admins think of it: a customer by themselves, an agent, or a deep link. */
export function sourceLabel(lead: { actor: string; agentId?: number | undefined; source: string }, t: Tr): string {
  if (lead.actor === "agent") return t("source-agent", { id: String(lead.agentId ?? "?") });
  if (lead.source === "direct" || lead.source === "customer") return t("source-customer");
  return t("source-link", { link: lead.source });
}

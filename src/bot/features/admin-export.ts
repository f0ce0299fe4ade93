import { LeanComposer } from "../lean-composer.js";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Composer, InputFile } from "grammy";
import { csvRow, CSV_START } from "../../admin/csv.js";
import { formatLocalTime, startOfDay } from "../../admin/format.js";
import { codedDetail } from "../../admin/journal.js";
import { shortenName } from "../../logger.js";
import { formatPhone, maskPhone } from "../../phone.js";
import type { LeadRecord, Store } from "../../store/types.js";
import type { BotContext } from "../context.js";
import { noteUpdate } from "../update-notes.js";
import { isAdmin } from "./admin-guard.js";

const DEFAULT_DAYS = 7;

const EXPORT_COLUMNS = [
  "lead",
  "brainysoft_number",
  "created_at",
  "state",
  "source",
  "agent_id",
  "first_name",
  "phone",
  "attempts",
  "last_error",
] as const;

/**
 * How an export is bounded. Rows are read `pageSize` at a time and written to a file as they come, so
 * memory holds one page whatever the period; a file stops at `maxRows` rows or `maxBytes` bytes (Telegram
 * takes uploads up to 50 MB), and its caption then says where it stopped.
 */
export interface ExportLimits {
  pageSize: number;
  maxRows: number;
  maxBytes: number;
}

export const DEFAULT_EXPORT_LIMITS: ExportLimits = { pageSize: 500, maxRows: 100_000, maxBytes: 45 * 1024 * 1024 };

export interface AdminExportDeps {
  store: Pick<Store, "leads" | "events">;
  now?: () => number;
  limits?: Partial<ExportLimits>;
  /** Where the file is written before it is sent, in a private directory removed afterwards (default: the system's). */
  tempDir?: string;
}

/** "/export", "/export 30", "/export 30 full", "/export full". */
export function parseExportArgs(text: string): { days: number; full: boolean } | undefined {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const full = words.at(-1) === "full";
  if (full) words.pop();
  if (words.length === 0) return { days: DEFAULT_DAYS, full };
  if (words.length > 1 || !/^\d{1,4}$/.test(words[0] ?? "")) return undefined;
  const days = Number(words[0]);
  return days >= 1 && days <= 3650 ? { days, full } : undefined;
}

/** One lead's row; personal data masked unless `full`. */
function leadRow(l: LeadRecord, full: boolean): string {
  return csvRow([
    l.id,
    l.brainysoftId,
    formatLocalTime(l.createdAt, "YYYY-MM-DD hh:mm:ss"),
    l.state,
    l.source,
    l.agentId,
    full ? l.firstName : shortenName(l.firstName),
    full ? formatPhone(l.phone) : maskPhone(l.phone),
    l.attempts,
    l.lastError,
  ]);
}

/**
 * The leads created in [from, to), oldest first, a page at a time. A store that ignores the page
 * (returns the whole period) still gives each lead once: only those after the last one seen are taken.
 */
async function* leadsCreatedBetween(
  store: AdminExportDeps["store"],
  from: number,
  to: number,
  pageSize: number,
): AsyncGenerator<LeadRecord> {
  let after: { createdAt: number; id: number } | undefined;
  for (;;) {
    const page = await store.leads.listCreatedBetween(from, to, { after, limit: pageSize });
    const last = after;
    const fresh = last ? page.filter((l) => l.createdAt > last.createdAt || (l.createdAt === last.createdAt && l.id > last.id)) : page;
    yield* fresh;
    const end = fresh.at(-1);
    if (!end || page.length < pageSize) return;
    after = { createdAt: end.createdAt, id: end.id };
  }
}

interface WrittenExport {
  rows: number;
  /** Set when the file stopped at a limit: when the last lead in it was created. */
  cappedAt: number | undefined;
}

/** Writes the CSV to `path` as the rows are read, up to the limits. */
async function writeExport(path: string, leads: AsyncIterable<LeadRecord>, full: boolean, limits: ExportLimits): Promise<WrittenExport> {
  const file = createWriteStream(path, { mode: 0o600 });
  const write = async (chunk: string) => {
    if (!file.write(chunk)) await once(file, "drain");
  };
  let rows = 0;
  let bytes = 0;
  let lastAt: number | undefined;
  let capped = false;
  try {
    await write(CSV_START);
    await write(csvRow(EXPORT_COLUMNS));
    for await (const lead of leads) {
      const row = leadRow(lead, full);
      const size = Buffer.byteLength(row);
      if (rows >= limits.maxRows || bytes + size > limits.maxBytes) {
        capped = true;
        break;
      }
      await write(row);
      rows += 1;
      bytes += size;
      lastAt = lead.createdAt;
    }
  } finally {
    file.end();
    await once(file, "close");
  }
  return { rows, cappedAt: capped ? lastAt : undefined };
}

/** /export [days] [full]: the leads created in the last days as a CSV document, phones masked unless "full". */
export function adminExportFeature(deps: AdminExportDeps): Composer<BotContext> {
  const now = deps.now ?? Date.now;
  const limits = { ...DEFAULT_EXPORT_LIMITS, ...deps.limits };
  const feature = new LeanComposer<BotContext>();
  feature
    .chatType("private")
    .filter(isAdmin)
    .command("export", async (ctx) => {
      const request = parseExportArgs(ctx.match);
      if (!request) {
        await ctx.reply(ctx.t("export-usage"));
        return;
      }
      const at = now();
      // "7 days" = today and the six days before, as in /stats.
      const from = startOfDay(at, request.days - 1);
      const dir = await mkdtemp(join(deps.tempDir ?? tmpdir(), "lead-export-"));
      try {
        const name = `leads-${formatLocalTime(at, "YYYY-MM-DD")}-${request.days}d.csv`;
        const path = join(dir, name);
        const written = await writeExport(path, leadsCreatedBetween(deps.store, from, at + 1, limits.pageSize), request.full, limits);
        noteUpdate(ctx, `export ${request.days}d ${request.full ? "full" : "masked"} ${written.rows}${written.cappedAt ? " capped" : ""}`);
        // Full phones leave the bot in a file: the journal keeps who took them.
        await deps.store.events.record({
          at,
          kind: "export",
          actor: `admin:${ctx.from.id}`,
          detail: codedDetail({ code: "export", leads: written.rows, days: request.days, full: request.full }),
        });
        if (written.rows === 0) {
          await ctx.reply(ctx.t("export-empty", { days: request.days }));
          return;
        }
        const caption = [ctx.t("export-caption", { count: written.rows, days: request.days, full: request.full ? "yes" : "no" })];
        if (written.cappedAt !== undefined) {
          caption.push(ctx.t("export-capped", { rows: written.rows, until: formatLocalTime(written.cappedAt, "DD.MM.YYYY hh:mm") }));
        }
        await ctx.replyWithDocument(new InputFile(path, name), { caption: caption.join("\n") });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  return feature;
}

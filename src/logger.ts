import type { PinoPretty } from "pino-pretty";
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Where lines go (tests read them); default stdout. */
  destination?: DestinationStream;
  /**
   * Human-readable coloured lines for development instead of JSON (LOG_PRETTY): pino-pretty's factory,
   * which the caller loads only then (production never holds its modules).
   */
  pretty?: typeof PinoPretty | undefined;
  /** Strings that must never appear in a line (tokens, passwords): replaced wherever they turn up. */
  secrets?: readonly string[];
}

/**
 * JSON lines to stdout (or a given stream, which the tests read). Secrets never reach the logger in
 * the first place; the redact list, the error serializer and the secret filter are nets for objects
 * and messages that carry them by accident (an HTTP error quoting a URL with the bot token in it).
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  const scrub = secretScrubber(secrets);
  const destination = options.pretty
    ? options.pretty({
        destination: options.destination ?? 1,
        colorize: options.destination === undefined,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
      })
    : options.destination;
  const logger = pino(
    {
      level: options.level,
      base: undefined,
      redact: {
        paths: ["token", "password", "customerKey", "bsauth", "headers.bsauth", "*.token", "*.password", "config.botToken"],
        censor: "[secret]",
      },
      serializers: { err: safeError },
      hooks: secrets.length === 0 ? {} : { streamWrite: (line) => scrubLine(line, scrub) },
    },
    destination,
  );
  if (secrets.some((s) => s.length < WHOLE_WORD_BELOW)) {
    logger.warn(
      `a configured secret is shorter than ${WHOLE_WORD_BELOW} characters: logs hide it only where it stands alone, and it is easy to guess; use a longer one`,
    );
  }
  return logger;
}

/**
 * Secrets of this length or more are cut out wherever they appear (in a URL a token is glued to other
 * characters: `/bot<token>/getMe`). A shorter one (a password "abc", even "7") is cut out only where it
 * stands alone, between characters that are not letters or digits (`?password=abc&`, `"abc"`): cut out
 * of ordinary words and numbers ("fabc", "1734") it would shred every line, and the holes would show
 * the secret by where they are.
 */
const WHOLE_WORD_BELOW = 6;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** One function that hides every secret in a piece of text. */
function secretScrubber(secrets: readonly string[]): (text: string) => string {
  const long = secrets.filter((s) => s.length >= WHOLE_WORD_BELOW);
  const short = secrets.filter((s) => s.length < WHOLE_WORD_BELOW).map(escapeRegExp);
  const alone = short.length === 0 ? undefined : new RegExp(`(?<![\\p{L}\\p{N}])(?:${short.join("|")})(?![\\p{L}\\p{N}])`, "gu");
  return (text) => {
    const cut = long.reduce((acc, s) => acc.split(s).join("[secret]"), text);
    return alone ? cut.replace(alone, "[secret]") : cut;
  };
}

/**
 * A JSON line with the secrets taken out of its string values only (never keys, never numbers), so it
 * stays valid JSON even for a secret like "1"; anything that is not JSON is scrubbed as plain text.
 */
function scrubLine(line: string, scrub: (text: string) => string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return scrub(line);
  }
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return scrub(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, walk(v)]));
    return value;
  };
  return `${JSON.stringify(walk(parsed))}\n`;
}

const ERROR_FIELDS = ["code", "method", "error_code", "description"] as const;

/**
 * What an error may say in a log: its type, message, stack and codes. Not every enumerable field, as
 * pino's default does: grammY's errors carry the request payload (message texts with phone numbers)
 * and the whole update context.
 */
function safeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  const fields = err as unknown as Record<string, unknown>; // an Error's own fields (code, status…) by name
  for (const key of ERROR_FIELDS) if (fields[key] !== undefined) out[key] = fields[key];
  if (depth < 3) {
    // grammY's HttpError keeps the network error in `error`; standard errors chain through `cause`.
    if (fields.error instanceof Error) out.error = safeError(fields.error, depth + 1);
    if (err.cause instanceof Error) out.cause = safeError(err.cause, depth + 1);
  }
  return out;
}

/** "Фридрих" -> "Фр…": enough to tell people apart in a log, not enough to identify anyone. */
export function shortenName(name: string): string {
  const chars = [...name];
  return `${chars.length <= 2 ? chars[0] : chars.slice(0, 2).join("")}…`;
}

import pretty from "pino-pretty";
import { pino, type DestinationStream, type Logger } from "pino";
import type { BrainysoftAuth } from "./brainysoft/client.js";
import type { Config } from "./config.js";

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Where lines go (tests read them); default stdout. */
  destination?: DestinationStream;
  /** Human-readable coloured lines for development instead of JSON (LOG_PRETTY). */
  pretty?: boolean;
  /** Strings that must never appear in a line (tokens, passwords): replaced wherever they turn up. */
  secrets?: readonly string[];
}

/**
 * JSON lines to stdout (or a given stream, which the tests read). Secrets never reach the logger in
 * the first place; the redact list, the error serializer and the secret filter are nets for objects
 * and messages that carry them by accident (an HTTP error quoting a URL with the bot token in it).
 */
export function createLogger(options: LoggerOptions): Logger {
  // Very short "secrets" (test fixtures) would shred ordinary words; real tokens are long.
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
  const destination = options.pretty
    ? pretty({ destination: options.destination ?? 1, colorize: options.destination === undefined, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" })
    : options.destination;
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: {
        paths: ["token", "password", "customerKey", "bsauth", "headers.bsauth", "*.token", "*.password", "config.botToken"],
        censor: "[secret]",
      },
      serializers: { err: safeError },
      hooks: secrets.length === 0 ? {} : { streamWrite: (line) => secrets.reduce((acc, s) => acc.split(s).join("[secret]"), line) },
    },
    destination,
  );
}

/** The configured secrets a log line must never show. */
export function secretsOf(config: Pick<Config, "botToken" | "brainysoft">): string[] {
  return [config.botToken, ...brainysoftSecrets(config.brainysoft.auth)];
}

/** The secrets in Brainysoft credentials (the user name is not one). */
export function brainysoftSecrets(auth: BrainysoftAuth): string[] {
  return auth.kind === "token" ? [auth.token] : [auth.password, auth.customerKey];
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
  const fields = err as unknown as Record<string, unknown>;
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
  return chars.length <= 2 ? chars[0] + "…" : chars.slice(0, 2).join("") + "…";
}

import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * JSON lines to stdout (or a given stream, which the tests read). Secrets never reach the logger in
 * the first place; the redact list is a second net for objects that carry them by accident.
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: {
        paths: ["token", "password", "customerKey", "bsauth", "headers.bsauth", "*.token", "*.password", "config.botToken"],
        censor: "[secret]",
      },
    },
    options.destination,
  );
}

/** "Фридрих" -> "Фр…": enough to tell people apart in a log, not enough to identify anyone. */
export function shortenName(name: string): string {
  const chars = [...name];
  return chars.length <= 2 ? chars[0] + "…" : chars.slice(0, 2).join("") + "…";
}

/** Type guards for values from outside (parsed JSON, thrown errors), so that their fields are read without casts. */

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The string `code` a Node, SQLite or PostgreSQL error carries ("ENOENT", "SQLITE_FULL", "28P01"), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** JSON.parse typed as what it is: a value still to be checked (JSON.parse says `any`). */
export function parseJson(text: string): unknown {
  return JSON.parse(text);
}

/**
 * Button data with named, typed fields: one definition writes a button's data and reads it back, and
 * its filter matches that data and nothing else. Written here rather than taken from the
 * `callback-data` package, whose parser reads numbers with parseFloat and whose filter takes any tail:
 * forged data that these anchored, bounded patterns refuse would reach the handlers.
 */

/** One field: the text it may be (a bounded pattern without capture groups), and how a value is written and read. */
export interface Field<T> {
  readonly pattern: string;
  write(value: T): string;
  read(text: string): T;
}

/** A whole number of at most `max` digits. */
export const digits = (max: number): Field<number> => ({ pattern: `\\d{1,${max}}`, write: String, read: Number });

type Fields = Record<string, Field<unknown>>;
/** The values a definition's fields hold. */
export type ValuesOf<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

export interface CallbackData<F extends Fields> {
  /** Matches this definition's data and nothing else: for grammY's `callbackQuery`. */
  readonly filter: RegExp;
  /** The data of a button; Telegram takes at most 64 bytes. */
  pack(values: ValuesOf<F>): string;
  /** The values in data this definition wrote; undefined for any other data. */
  unpack(data: string): ValuesOf<F> | undefined;
  /**
   * The values in grammY's `ctx.match` of a `callbackQuery(filter, …)` handler: the filter's match (typed
   * as `string | RegExpMatchArray` there). Throws for data the filter refuses, which such a handler never gets.
   */
  read(match: string | RegExpMatchArray): ValuesOf<F>;
}

/** Telegram refuses callback data over 64 bytes (BUTTON_DATA_INVALID). */
const MAX_DATA_BYTES = 64;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Data `prefix:field:field…`, in the order the fields are given. */
export function callbackData<F extends Fields>(prefix: string, fields: F): CallbackData<F> {
  const entries = Object.entries(fields);
  const filter = new RegExp(`^${escapeRegExp(prefix)}${entries.map(([, field]) => `:(${field.pattern})`).join("")}$`);
  const valuesIn = (match: RegExpMatchArray) =>
    // A match of the filter holds every field's text in its group; the object has exactly the fields' names.
    Object.fromEntries(entries.map(([name, field], i) => [name, field.read(match[i + 1] ?? "")])) as ValuesOf<F>;
  return {
    filter,
    pack(values) {
      const parts = entries.map(([name, field]) => field.write(values[name]));
      const data = [prefix, ...parts].join(":");
      if (!filter.test(data) || Buffer.byteLength(data) > MAX_DATA_BYTES) throw new Error(`callback data out of its bounds: ${data}`);
      return data;
    },
    unpack(data) {
      const match = filter.exec(data);
      return match ? valuesIn(match) : undefined;
    },
    read(match) {
      const found = typeof match === "string" ? filter.exec(match) : match;
      if (!found) throw new Error(`not ${prefix} data: ${String(match)}`);
      return valuesIn(found);
    },
  };
}

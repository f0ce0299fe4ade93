/** CSV that spreadsheets open safely: RFC 4180 quoting, and no cell a spreadsheet would run as a formula. */

// A spreadsheet treats a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|...),
// whatever follows; tab and carriage return can hide one. OWASP's advice: make it text with a quote.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | undefined): string {
  let text = value === undefined ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** What a file starts with: a byte-order mark, so that Excel reads Cyrillic as UTF-8. */
export const CSV_START = "\uFEFF";

/** One line of cells, ending in CRLF: files are written a row at a time. */
export function csvRow(cells: ReadonlyArray<string | number | undefined>): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** Rows joined with CRLF, after the byte-order mark. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): string {
  return `${CSV_START}${rows.map(csvRow).join("")}`;
}

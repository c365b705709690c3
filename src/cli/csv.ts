/**
 * CSV output per RFC 4180: CRLF line ends; a field is quoted when it holds a comma, a double quote,
 * CR or LF, and quotes inside are doubled, so any text round-trips through a conforming reader.
 *
 * Formula guard (for people who open exports in a spreadsheet): a cell that begins with = + - @,
 * a tab or a CR would be evaluated as a formula by Excel/LibreOffice/Sheets, and audit subjects come
 * from peers. Such cells get a leading single quote, which spreadsheets show as text. Tools that
 * read the CSV as data can turn the guard off.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

export interface CsvOptions {
  /** Prefix formula-like cells with `'` (default true). */
  formulaGuard?: boolean;
}

export function csvCell(value: string | number | boolean | null | undefined, opts: CsvOptions = {}): string {
  let s = value === null || value === undefined ? '' : String(value);
  if ((opts.formulaGuard ?? true) && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One record, with its CRLF terminator. */
export function csvRow(cells: readonly (string | number | boolean | null | undefined)[], opts: CsvOptions = {}): string {
  return `${cells.map((c) => csvCell(c, opts)).join(',')}\r\n`;
}

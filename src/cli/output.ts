/**
 * Terminal output: human text (coloured only on a TTY without NO_COLOR) or JSON (`--json`).
 * Progress goes to stderr so stdout stays machine-readable.
 */
import { styleText } from 'node:util';
import type { Writable } from 'node:stream';

type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold' | 'gray';

export class Output {
  readonly json: boolean;
  readonly #out: Writable;
  readonly #err: Writable;
  readonly #color: boolean;

  constructor(opts: { stdout: Writable; stderr: Writable; json: boolean; color: boolean }) {
    this.#out = opts.stdout;
    this.#err = opts.stderr;
    this.json = opts.json;
    this.#color = opts.color;
  }

  style(s: Style, text: string): string {
    return this.#color ? styleText(s, text, { validateStream: false }) : text;
  }
  /** A line on stdout. */
  line(text = ''): void {
    this.#out.write(`${text}\n`);
  }
  /** A JSON document on stdout (pretty when human mode asked for JSON output, compact never needed). */
  data(value: unknown): void {
    this.#out.write(`${JSON.stringify(value, null, 2)}\n`);
  }
  /** Status/progress on stderr (suppressed in JSON mode unless it is an error). */
  info(text: string): void {
    if (!this.json) this.#err.write(`${text}\n`);
  }
  warn(text: string): void {
    this.#err.write(`${this.style('yellow', 'warning:')} ${text}\n`);
  }
  error(text: string): void {
    this.#err.write(`${this.style('red', 'error:')} ${text}\n`);
  }
  /** A simple aligned table for human output. */
  table(headers: string[], rows: string[][]): void {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
    this.line(this.style('bold', fmt(headers)));
    for (const r of rows) this.line(fmt(r));
  }
}

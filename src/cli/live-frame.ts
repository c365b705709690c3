/**
 * A block of lines redrawn in place (`mesh status --watch`), made for tmux and slow terminals: no full
 * clear per frame and no flicker. Each draw moves the cursor up to the first line of the previous
 * frame and rewrites only the lines that changed (erase-line + text); unchanged lines are stepped
 * over with a newline; leftover lines of a longer previous frame are erased below. A frame taller
 * than the terminal is cut to fit (moving up past the top of the screen is impossible). Nothing is
 * written when nothing changed.
 *
 * Not a terminal (a pipe, a file, `watch`-less logging): every changed frame is printed in full,
 * separated by a blank line, and never an escape sequence.
 */
import type { Writable } from 'node:stream';

const ESC = '\x1b[';

export interface LiveFrameOptions {
  out: Writable;
  tty: boolean;
  /** Terminal height, read per draw (it can change); null when unknown. */
  rows?: () => number | null;
}

export class LiveFrame {
  readonly #out: Writable;
  readonly #tty: boolean;
  readonly #rows: () => number | null;
  #prev: string[] | null = null;
  #prevInput: readonly string[] | null = null;
  #cursorHidden = false;

  constructor(o: LiveFrameOptions) {
    this.#out = o.out;
    this.#tty = o.tty;
    this.#rows = o.rows ?? (() => null);
  }

  /** Draws `lines`; returns whether anything was written. */
  draw(lines: readonly string[]): boolean {
    const prev = this.#prev;
    const last = this.#prevInput;
    if (last !== null && last.length === lines.length && last.every((l, i) => l === lines[i])) return false;
    this.#prevInput = [...lines];
    if (!this.#tty) {
      this.#out.write(`${prev === null ? '' : '\n'}${lines.join('\n')}\n`);
      this.#prev = [...lines];
      return true;
    }
    const rows = this.#rows();
    const shown = rows !== null && rows > 1 && lines.length > rows - 1 ? [...lines.slice(0, rows - 2), `… ${lines.length - rows + 2} more lines (enlarge the terminal)`] : [...lines];
    let buf = '';
    if (!this.#cursorHidden) {
      buf += `${ESC}?25l`;
      this.#cursorHidden = true;
    }
    if (prev !== null && prev.length > 0) buf += `${ESC}${prev.length}A\r`;
    for (const [i, line] of shown.entries()) {
      buf += prev !== null && prev[i] === line ? '\n' : `${ESC}2K${line}\n`;
    }
    if (prev !== null && prev.length > shown.length) buf += `${ESC}J`;
    this.#out.write(buf);
    this.#prev = shown;
    return true;
  }

  /** Gives the cursor back (call on exit). */
  close(): void {
    if (this.#cursorHidden) this.#out.write(`${ESC}?25h`);
    this.#cursorHidden = false;
  }
}

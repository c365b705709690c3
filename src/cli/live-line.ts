/**
 * One live status line on stderr for commands that wait. On a terminal it is rewritten in place
 * (with the seconds waited), cut to the terminal's width so a rewrite never leaves a wrapped tail;
 * elsewhere (a pipe, a log file) it prints one line per change and nothing in between.
 */
import type { Writable } from 'node:stream';

const CLEAR = '\r\x1b[2K';

export class LiveLine {
  readonly #err: Writable;
  readonly #tty: boolean;
  readonly #enabled: boolean;
  #text = '';
  #elapsedS = 0;
  #shown = false;

  constructor(stderr: Writable, enabled: boolean) {
    this.#err = stderr;
    this.#tty = Boolean((stderr as { isTTY?: boolean }).isTTY);
    this.#enabled = enabled;
  }

  /** New status text; printed only when it differs from the last. */
  update(text: string): void {
    if (!this.#enabled || text === this.#text) return;
    this.#text = text;
    if (this.#tty) this.#render();
    else this.#err.write(`${text}\n`);
  }

  /** The time waited so far: refreshes the terminal line once a second. */
  tick(elapsedMs: number): void {
    const s = Math.floor(elapsedMs / 1000);
    if (!this.#enabled || !this.#tty || s === this.#elapsedS) return;
    this.#elapsedS = s;
    this.#render();
  }

  /** Clears the terminal line so the final output starts on a clean line. */
  done(): void {
    if (this.#tty && this.#shown) this.#err.write(CLEAR);
    this.#shown = false;
  }

  #render(): void {
    const columns = (this.#err as { columns?: number }).columns ?? 100;
    const line = `${this.#text}${this.#elapsedS > 0 ? ` · ${this.#elapsedS}s` : ''}`;
    const fitted = line.length >= columns ? `${line.slice(0, Math.max(10, columns - 2))}…` : line;
    this.#err.write(`${CLEAR}${fitted}`);
    this.#shown = true;
  }
}

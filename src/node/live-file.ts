/**
 * A configuration file that is read again whenever it changes on disk (ARCHITECTURE.md §2 "Live
 * configuration"). The first `get()` in each turn of the event loop stats the file and re-reads it
 * when its identity changed (inode, size, mtime, ctime); later calls in the same turn reuse that
 * answer (a request asks five to ten times, and a stat is a system call: on a busy machine the stats
 * were a tenth of the receiver's time). So the first request handled after a change sees it: a
 * stricter setting has no window in which the old one still holds (a change made while a turn runs
 * is concurrent with the requests of that turn, and applies from the next one). After this process
 * wrote any file through writeFileAtomic or writeSecretFile, the next `get()` looks again at once;
 * `refresh()` does that for other writers. The CLI writes these files atomically (write a temp file,
 * rename), so a read never sees half a file.
 *
 * An edit that does not parse keeps the last good value; `onInvalid` is told once per bad version
 * of the file, `onReload` once per good one. The first load has no last good value, so its error
 * is thrown to the caller (a node that cannot read its configuration must not start).
 */
import { readFileSync, statSync } from 'node:fs';
import { secretWritesSoFar } from '../crypto/secret-file.ts';
import { atomicWritesSoFar } from './atomic-write.ts';

/** Files this process wrote (atomically, or as secrets): a change a LiveFile must see at once. */
const ownWrites = (): number => atomicWritesSoFar() + secretWritesSoFar();

export interface LiveFileOptions<T> {
  path: string;
  /** Turns the file's text (null when the file does not exist) into a value, or throws. */
  parse(text: string | null): T;
  onReload?(value: T, previous: T): void;
  onInvalid?(error: unknown): void;
}

const MISSING = 'missing';

function stampOf(path: string): string {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s === undefined ? MISSING : `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

function readText(path: string, stamp: string): string | null {
  if (stamp === MISSING) return null;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    // Removed between the stat and the read: the same as missing.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export class LiveFile<T> {
  readonly path: string;
  readonly #o: LiveFileOptions<T>;
  #value: T;
  #stamp: string;
  /** The stamp of a version that failed to parse: not re-read until the file changes again. */
  #badStamp: string | null = null;
  /** True after the file was looked at in the current turn of the event loop. */
  #checkedThisTurn = false;
  #writesSeen = 0;

  constructor(o: LiveFileOptions<T>) {
    this.path = o.path;
    this.#o = o;
    this.#stamp = stampOf(o.path);
    this.#value = o.parse(readText(o.path, this.#stamp));
  }

  /** The current value: re-read first if the file changed since it was last looked at (once a turn). */
  get(): T {
    if (this.#checkedThisTurn && this.#writesSeen === ownWrites()) return this.#value;
    this.#checkedThisTurn = true;
    this.#writesSeen = ownWrites();
    setImmediate(() => {
      this.#checkedThisTurn = false;
    }).unref();
    const stamp = stampOf(this.path);
    if (stamp === this.#stamp || stamp === this.#badStamp) return this.#value;
    let next: T;
    try {
      next = this.#o.parse(readText(this.path, stamp));
    } catch (e) {
      this.#badStamp = stamp;
      this.#o.onInvalid?.(e);
      return this.#value;
    }
    const previous = this.#value;
    this.#value = next;
    this.#stamp = stamp;
    this.#badStamp = null;
    this.#o.onReload?.(next, previous);
    return next;
  }

  /** The next `get()` looks at the file again, even within this turn. */
  refresh(): void {
    this.#checkedThisTurn = false;
  }
}

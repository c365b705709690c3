/**
 * Writes many small pieces of text to a stream in chunks of about 64 KiB, waiting for 'drain' when
 * the stream's buffer is full: large exports never build one giant string nor flood memory.
 * A reader that goes away (EPIPE, e.g. `mesh export | head`) ends the output quietly.
 */
import type { Writable } from 'node:stream';

const CHUNK_CHARS = 64 * 1024;

/** Resolves on 'drain', or when the stream closes or fails (the error is seen through the writer's listener). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

export class ChunkedWriter {
  readonly #stream: Writable;
  #buf: string[] = [];
  #size = 0;
  #error: Error | null = null;
  readonly #onError = (e: Error): void => {
    this.#error ??= e;
  };

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on('error', this.#onError);
  }

  /** True once the reader went away (EPIPE): callers stop producing. */
  get closed(): boolean {
    return this.#error !== null;
  }

  async write(text: string): Promise<void> {
    this.#buf.push(text);
    this.#size += text.length;
    if (this.#size >= CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#buf.length === 0 || this.#error !== null) return;
    const chunk = this.#buf.join('');
    this.#buf = [];
    this.#size = 0;
    if (!this.#stream.write(chunk)) {
      await drained(this.#stream);
    }
    this.#throwUnlessPipeClosed();
  }

  /** Flushes and detaches; rethrows a write error other than a closed pipe. */
  async finish(): Promise<void> {
    await this.flush();
    this.#stream.off('error', this.#onError);
    this.#throwUnlessPipeClosed();
  }

  #throwUnlessPipeClosed(): void {
    const e = this.#error as (Error & { code?: string }) | null;
    if (e !== null && e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  }
}

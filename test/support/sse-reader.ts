/**
 * Reads a text/event-stream response body (in-process or over a socket) the way EventSource parses
 * it: events with id, event and data; comment lines counted; an `id:`-only block updates the last id
 * without an event. `next()` waits (bounded) for the next event.
 */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  comments = 0;
  /** What EventSource would send as Last-Event-ID on reconnect. */
  lastEventId = '';
  ended = false;
  error: unknown = null;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';
  #block: { id: string | null; event: string; data: string[] } = { id: null, event: 'message', data: [] };
  #taken = 0;
  #waiters: Array<() => void> = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        this.#feed(this.#decoder.decode(value, { stream: true }));
      }
    } catch (e) {
      this.error = e;
    }
    this.ended = true;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  #feed(text: string): void {
    this.#buffer += text;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(nl + 1);
      this.#line(line);
    }
  }

  #line(line: string): void {
    const b = this.#block;
    if (line === '') {
      if (b.id !== null) this.lastEventId = b.id;
      if (b.data.length > 0) {
        this.events.push({ id: b.id, event: b.event, data: b.data.join('\n') });
        this.#wake();
      }
      this.#block = { id: null, event: 'message', data: [] };
      return;
    }
    if (line.startsWith(':')) {
      this.comments += 1;
      this.#wake();
      return;
    }
    const at = line.indexOf(':');
    const field = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
    if (field === 'id') b.id = value;
    else if (field === 'event') b.event = value;
    else if (field === 'data') b.data.push(value);
  }

  /** Resolves when `cond` holds, or rejects after `timeoutMs` (or when the stream ended without it). */
  async until(cond: () => boolean, timeoutMs = 10_000, what = 'a condition on the event stream'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.ended) throw new Error(`the stream ended before ${what} (error: ${String(this.error)})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; have ${this.events.length} events`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next event not yet taken. */
  async next(timeoutMs = 10_000): Promise<SseEvent> {
    await this.until(() => this.events.length > this.#taken, timeoutMs, 'the next event');
    return this.events[this.#taken++] as SseEvent;
  }

  /** Sequence numbers of the log events received (control events have no numeric id or none). */
  seqs(): number[] {
    return this.events.filter((e) => e.id !== null && !e.event.startsWith('stream.')).map((e) => Number(e.id));
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}

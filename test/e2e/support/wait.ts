// Bounded polling for end-to-end tests, where the thing awaited happens in another process
// (a file written by an agent's `exec`, a port answering). Always bounded; the error says what
// was awaited and for how long.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Used in the timeout error, e.g. "proof file /tmp/x". */
  what: string;
}

/** Polls `probe` until it returns a value other than undefined/false, or throws on timeout. */
export async function waitUntil<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() >= deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`);
    await sleep(opts.intervalMs ?? 250);
  }
}

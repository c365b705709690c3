/**
 * A loop for the daemon's scheduled work (conversation time-outs and escalations; later probes):
 * asks `nextDueAt()` when work is next due, sleeps until then (at least `minIntervalMs`, at most
 * `maxIntervalMs`, so work added by another process is noticed soon), runs `run()`, repeats.
 * A failing run is logged and retried on the next turn. `stop()` waits for a run in progress.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';

export interface TickerOptions {
  name: string;
  clock: Clock;
  logger: Logger;
  nextDueAt(): number | null;
  run(): Promise<unknown>;
  minIntervalMs?: number;
  maxIntervalMs?: number;
}

export interface Ticker {
  /** Look at `nextDueAt()` now instead of at the end of the current sleep. */
  kick(): void;
  stop(): Promise<void>;
}

export function startTicker(o: TickerOptions): Ticker {
  const minMs = o.minIntervalMs ?? 50;
  const maxMs = o.maxIntervalMs ?? 1_000;
  const stopper = new AbortController();
  let wake = new AbortController();
  const loop = (async () => {
    while (!stopper.signal.aborted) {
      let waitMs = maxMs;
      try {
        const due = o.nextDueAt();
        if (due !== null && due <= o.clock.now()) await o.run();
        const next = o.nextDueAt();
        if (next !== null) waitMs = Math.min(maxMs, Math.max(minMs, next - o.clock.now()));
      } catch (e) {
        o.logger.error(`${o.name} failed`, { error: e instanceof Error ? e.name : typeof e, code: (e as { code?: unknown }).code });
      }
      await sleep(waitMs, undefined, { signal: AbortSignal.any([stopper.signal, wake.signal]) }).catch(() => undefined);
      wake = new AbortController();
    }
  })();
  return {
    kick: () => wake.abort(),
    stop: async () => {
      stopper.abort();
      await loop;
    },
  };
}

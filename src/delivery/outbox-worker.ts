/**
 * The daemon's outbox loop, a sliding window: each turn starts attempts for the due messages that
 * fit in the free slots (`startDue`: so many per peer and in all) without waiting for them, runs
 * autoReplayTick, then sleeps until the service's next wake time (clamped to [minIntervalMs,
 * maxIntervalMs]). An attempt that ends frees its slot and wakes the loop at once, so a backlog
 * drains with the window kept full (several requests in flight per peer, not one lock-step batch),
 * and one slow peer never holds up the others. A turn that started attempts is followed at once by
 * the next while more is due; a turn that could start nothing sleeps (or is woken by an ending
 * attempt). Turns never overlap.
 * `kick()` cuts a sleep short (new work was enqueued); `stop()` ends the loop and waits for every
 * attempt in flight, so a SIGTERM loses nothing. The only place in delivery/ that uses real timers.
 */
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { errorName } from './delivery-context.ts';
import type { DeliveryService } from './delivery-service.ts';

export interface OutboxWorkerDeps {
  service: Pick<DeliveryService, 'startDue' | 'autoReplayTick' | 'nextWakeAt'>;
  clock: Clock;
  logger: Logger;
  /** Shortest sleep between ticks, so a message leased elsewhere (due in the past) cannot spin us. */
  minIntervalMs?: number;
  /** Longest sleep: the outbox is re-read at least this often (other processes enqueue too). */
  maxIntervalMs?: number;
}

export interface OutboxWorker {
  stop(): Promise<void>;
  kick(): void;
}

export const DEFAULT_WORKER_MIN_INTERVAL_MS = 500;
export const DEFAULT_WORKER_MAX_INTERVAL_MS = 30_000;

export function startOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const { service, clock, logger } = deps;
  const minMs = deps.minIntervalMs ?? DEFAULT_WORKER_MIN_INTERVAL_MS;
  const maxMs = Math.max(minMs, deps.maxIntervalMs ?? DEFAULT_WORKER_MAX_INTERVAL_MS);
  let stopped = false;
  let kicked = false;
  let wake: (() => void) | null = null;
  /** Attempts started and not ended (each promise never rejects). */
  const inFlight = new Set<Promise<number>>();
  let lastReplayAt = Number.NEGATIVE_INFINITY;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  function kick(): void {
    kicked = true;
    wake?.();
  }

  /** Returns how many attempts the tick started. */
  async function tick(): Promise<number> {
    try {
      const { started, settled } = service.startDue(() => {
        if (!stopped) kick();
      });
      if (started > 0) {
        inFlight.add(settled);
        void settled.finally(() => inFlight.delete(settled));
      }
      // The dead-letter auto-replay at most once per minIntervalMs: while a backlog drains the
      // loop turns many times a second, and each replay tick reads and sweeps the dead letters.
      const now = clock.now();
      if (now - lastReplayAt >= minMs || now < lastReplayAt) {
        lastReplayAt = now;
        await service.autoReplayTick();
      }
      return started;
    } catch (e) {
      logger.error('outbox worker tick failed', { error: errorName(e) });
      return 0;
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      kicked = false;
      const started = await tick();
      if (stopped) break;
      if (kicked) continue;
      let next: number | null = null;
      try {
        next = service.nextWakeAt();
      } catch (e) {
        logger.error('outbox worker could not read its next wake time', { error: errorName(e) });
      }
      const wanted = next === null ? maxMs : next - clock.now();
      if (started > 0 && wanted <= 0) {
        // Draining: let the event loop serve I/O (the answers, and the receiver sharing it), then go on.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await sleep(Math.min(maxMs, Math.max(minMs, wanted)));
    }
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  const running = loop();

  return {
    kick,
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}

/**
 * The daemon's outbox loop: runDue + autoReplayTick, then sleep until the service's next wake time
 * (clamped to [minIntervalMs, maxIntervalMs]). A tick that sent requests is followed at once by the
 * next one when more is due, so a backlog drains at the speed of the peer, not of the sleep; a tick
 * that could send nothing (circuit open, leases held elsewhere) always sleeps. Ticks never overlap.
 * `kick()` cuts a sleep short (new work was enqueued); `stop()` ends the loop after the tick in progress, whose attempts are
 * awaited, so a SIGTERM loses nothing. The only place in delivery/ that uses real timers.
 */
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { errorName } from './delivery-context.ts';
import type { DeliveryService } from './delivery-service.ts';

export interface OutboxWorkerDeps {
  service: Pick<DeliveryService, 'runDue' | 'autoReplayTick' | 'nextWakeAt'>;
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

  /** Returns how many requests the tick sent. */
  async function tick(): Promise<number> {
    try {
      const sent = await service.runDue();
      await service.autoReplayTick();
      return sent;
    } catch (e) {
      logger.error('outbox worker tick failed', { error: errorName(e) });
      return 0;
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      kicked = false;
      const sent = await tick();
      if (stopped) break;
      if (kicked) continue;
      let next: number | null = null;
      try {
        next = service.nextWakeAt();
      } catch (e) {
        logger.error('outbox worker could not read its next wake time', { error: errorName(e) });
      }
      const wanted = next === null ? maxMs : next - clock.now();
      if (sent > 0 && wanted <= 0) {
        // Draining: let the event loop serve I/O (the receiver shares it), then go on.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await sleep(Math.min(maxMs, Math.max(minMs, wanted)));
    }
  }

  const running = loop();

  return {
    kick() {
      kicked = true;
      wake?.();
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}

/**
 * Brain sync for a node: the service (brain-sync/) wired to the node's store, HTTP transport, clock
 * and ids; and the daemon's schedule (config/mesh.json `brainSync`), run by a ticker. The schedule
 * follows the configuration as it changes: set, changed or removed, it applies from the next turn.
 */
import { runBrainSync, type BrainSyncOptions, type BrainSyncReport } from '../brain-sync/brain-sync.ts';
import { isMeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { MeshNode } from './mesh-node.ts';
import { startTicker, type Ticker } from './ticker.ts';

export type { BrainSyncReport } from '../brain-sync/brain-sync.ts';
export { DEFAULT_MAX_POSTS_PER_RUN, ingestUrl, readCursor } from '../brain-sync/brain-sync.ts';
export type { IngestEntry } from '../brain-sync/brain-entries.ts';

export function brainSync(node: MeshNode, o: BrainSyncOptions): Promise<BrainSyncReport> {
  return runBrainSync({ self: node.self, store: node.store, transport: node.transport, clock: node.clock, ids: node.ids, logger: node.logger }, o);
}

/** `mesh serve`: runs brain sync every `brainSync.intervalMs` while config/mesh.json has a brainSync section. */
export function startBrainSyncSchedule(node: MeshNode): Ticker {
  const stopping = new AbortController();
  let lastRunAt = Number.NEGATIVE_INFINITY;
  const ticker = startTicker({
    name: 'brain sync',
    clock: node.clock,
    logger: node.logger,
    nextDueAt: () => {
      const b = node.config.brainSync;
      return b === null ? null : Math.max(0, lastRunAt + b.intervalMs);
    },
    run: async () => {
      const b = node.config.brainSync;
      lastRunAt = node.clock.now();
      if (b === null) return;
      try {
        const r = await brainSync(node, { url: b.url, token: b.token, timeoutMs: b.timeoutMs, signal: stopping.signal });
        const posted = r.posted.audit + r.posted.events;
        if (posted > 0 || r.failed !== null) {
          node.logger.info('brain sync', { target: r.target, audit: r.posted.audit, events: r.posted.events, failed: r.failed?.error ?? null, caughtUp: r.caughtUp });
        }
      } catch (e) {
        if (isMeshError(e) && e.code === MeshErrorCode.AlreadyRunning) node.logger.debug('brain sync: another run holds the lease; skipped');
        else throw e;
      }
    },
  });
  return {
    kick: () => ticker.kick(),
    stop: async () => {
      stopping.abort();
      await ticker.stop();
    },
  };
}

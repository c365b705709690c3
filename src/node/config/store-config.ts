/**
 * config/mesh.json `store`: how the store commits. 'full' (default): every commit that acknowledges
 * something (a 202 to a peer, `mesh send`'s exit code) is fsynced first and survives a power loss.
 * 'normal': commits skip the fsync; they survive a crash of the process but not of the machine
 * (README "Delivery guarantees"). Read when the database is opened: a change needs a restart of
 * `mesh serve`.
 */
import type { Obj, Reader } from './config-reader.ts';

export type StoreSyncMode = 'full' | 'normal';

export interface StoreConfig {
  synchronous: StoreSyncMode;
}

export const STORE_KEYS = ['synchronous'] as const;

export function defaultStoreConfig(): StoreConfig {
  return { synchronous: 'full' };
}

export function readStoreConfig(r: Reader, st: Obj | null): StoreConfig {
  const synchronous = r.str(st, 'store', 'synchronous', defaultStoreConfig().synchronous);
  if (synchronous !== 'full' && synchronous !== 'normal') r.fail('store.synchronous', '"full" or "normal"');
  return { synchronous };
}

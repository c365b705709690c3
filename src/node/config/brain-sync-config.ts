/**
 * config/mesh.json `brainSync`: `mesh serve` runs `mesh brain-sync` every intervalMs when set. The
 * token is a secret: never logged.
 */
import type { Obj, Reader } from './config-reader.ts';
import { isPlainHttpUrl } from './config-urls.ts';

export interface BrainSyncConfig { url: string; intervalMs: number; token: string | null; timeoutMs: number }

export const BRAIN_SYNC_KEYS = ['url', 'intervalMs', 'token', 'timeoutMs'] as const;
export const DEFAULT_BRAIN_SYNC_INTERVAL_MS = 300_000;
/** Per post: the whole request (connect included) must finish in this long. */
export const DEFAULT_BRAIN_SYNC_TIMEOUT_MS = 10_000;

export function readBrainSyncConfig(r: Reader, bs: Obj | null): BrainSyncConfig | null {
  if (bs === null) return null;
  if (typeof bs['url'] !== 'string' || !isPlainHttpUrl(bs['url'])) r.fail('brainSync.url', 'an http(s) URL without credentials, query or fragment');
  const token = bs['token'];
  if (token !== undefined && token !== null && (typeof token !== 'string' || token === '' || /[\s]/.test(token))) {
    r.fail('brainSync.token', 'a non-empty string without spaces, or null');
  }
  return {
    url: String(bs['url']),
    intervalMs: r.int(bs, 'brainSync', 'intervalMs', DEFAULT_BRAIN_SYNC_INTERVAL_MS, 1_000, 7 * 86_400_000),
    token: typeof token === 'string' ? token : null,
    timeoutMs: r.int(bs, 'brainSync', 'timeoutMs', DEFAULT_BRAIN_SYNC_TIMEOUT_MS, 100, 600_000),
  };
}

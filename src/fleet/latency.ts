/**
 * Latency statistics over the recent reachable probes of a peer: the samples are kept (bounded) in
 * the peer's health row, and the median and p95 are computed from them when shown or compared.
 * Percentiles use the nearest-rank method: the smallest sample with at least p % of the samples at
 * or below it, so the result is always a latency that was really measured.
 */

/** `samples` plus `ms`, keeping only the newest `max` (oldest first). */
export function addSample(samples: readonly number[], ms: number, max: number): number[] {
  const next = [...samples, Math.max(0, Math.round(ms * 10) / 10)];
  return next.length > max ? next.slice(next.length - max) : next;
}

/** Nearest-rank percentile (0 < p ≤ 100); null without samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  if (!(p > 0 && p <= 100)) throw new RangeError('percentile must be in (0, 100]');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] as number;
}

/** The median: the mean of the two middle samples for an even count. */
export function median(samples: readonly number[]): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const m = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(m * 10) / 10;
}

export interface LatencyStats {
  medianMs: number | null;
  p95Ms: number | null;
  samples: number;
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  return { medianMs: median(samples), p95Ms: percentile(samples, 95), samples: samples.length };
}

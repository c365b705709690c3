/** Timestamps on the wire: UTC `YYYY-MM-DDTHH:MM:SS.000Z` (bash always prints milliseconds as 000). */
export function wireTimestamp(nowMs: number): string {
  return new Date(Math.floor(nowMs / 1000) * 1000).toISOString();
}

/** Parses an ISO-8601 timestamp from the wire; returns epoch ms or null when unparseable. */
export function parseWireTimestamp(s: unknown): number | null {
  if (typeof s !== 'string' || s.length > 40) return null;
  // Require a date-time with an explicit zone so local-time interpretation never happens.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}

/** Parses human durations: `90`, `90s`, `15m`, `48h`, `2d`, `2 days`. Returns milliseconds or null. */
export function parseDurationMs(s: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?)?\s*$/i.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' ? 1
    : unit.startsWith('s') ? 1000
    : unit === 'm' || unit.startsWith('min') ? 60_000
    : unit.startsWith('h') ? 3_600_000
    : unit.startsWith('d') ? 86_400_000
    : 604_800_000;
  return Math.round(n * factor);
}

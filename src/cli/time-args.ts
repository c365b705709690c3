/**
 * Time on the command line: parsing `--since`/`--until` values and printing times and ages.
 * Times without a zone are read as UTC, so a command means the same on every host.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { parseDurationMs, parseWireTimestamp } from '../protocol/time.ts';

export const TIME_ARG_HELP = 'a duration back from now (30m, 48h, 2d, "2 days", "2 days ago") or a time (2026-01-31, 2026-01-31T12:00:00Z)';

/**
 * Parses a point in time: a duration before `now` (`48h`, `2d`, `30m`, `2 days`, `2 days ago`, or bare
 * seconds like bash's `--since 3600`), an ISO time with a zone, or an ISO date/time without one (UTC).
 * Throws INVALID_ARGUMENT (a usage error) with an example otherwise.
 */
export function parseTimeArg(value: string, now: number, option: string): number {
  const v = value.trim();
  const duration = parseDurationMs(v.replace(/\s+ago$/i, ''));
  if (duration !== null) return now - duration;
  const zoned = parseWireTimestamp(v);
  if (zoned !== null) return zoned;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (m) {
    const [, y, mo, d, h, mi, s] = m;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
    // Date.UTC rolls 2026-02-31 over to March: refuse dates that do not exist instead.
    if (new Date(ms).toISOString().slice(0, 10) === `${y}-${mo}-${d}`) return ms;
  }
  throw new MeshError(
    MeshErrorCode.InvalidArgument,
    `--${option} "${value}" is not a time: use ${TIME_ARG_HELP}; e.g. --${option} 48h`,
  );
}

/** `2026-01-31 12:00:00Z`: second precision, UTC, one fixed width for tables. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** ISO time for JSON output (null stays null). */
export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A short, rounded duration: `45s`, `12m`, `3h 5m`, `4d 2h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

/** `in 5s`, `now`, `3m ago` relative to `now`. */
export function formatRelative(at: number | null, now: number): string {
  if (at === null) return '-';
  const diff = at - now;
  if (Math.abs(diff) < 1000) return 'now';
  return diff > 0 ? `in ${formatDuration(diff)}` : `${formatDuration(-diff)} ago`;
}

/** Parses `--limit`: a positive integer, or 0 for "no limit" when `allowZero`. */
export function parseLimit(value: string | undefined, fallback: number | undefined, allowZero = false): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--limit must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${value}"`);
  }
  return n === 0 ? undefined : n;
}

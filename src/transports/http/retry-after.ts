/**
 * Retry-After (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Returns milliseconds from
 * `nowMs`, never negative, or null when the header is absent or unparseable.
 */
const DELAY_SECONDS_RE = /^\d+$/;

export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (v === '') return null;
  if (DELAY_SECONDS_RE.test(v)) {
    const seconds = Number(v);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : null;
  }
  // Date.parse accepts far more than IMF-fixdate; require a letter so bare numbers like "1.5" fail.
  if (!/[A-Za-z]/.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

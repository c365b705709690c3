/**
 * Numbers exactly as jq 1.6 prints them (`jv_dump` → `jvp_dtoa_fmt`, David Gay's `g_fmt` with jq's
 * changes), verified against /usr/bin/jq 1.6:
 *  - the digits are the shortest ones that round-trip (the same digits JavaScript's `String(n)` uses);
 *  - with `decpt` = position of the decimal point relative to those digits (1.5 → digits "15",
 *    decpt 1; 0.001 → "1", -2), exponent form `d[.ddd]e±XX` is used when `decpt <= -4` (|x| < 1e-4)
 *    or `decpt > digits + 15`; the exponent always has a sign and at least two digits;
 *  - otherwise plain decimal: `0.000ddd`, `ddd.ddd`, or the digits padded with zeros (never `.0`);
 *  - negative zero prints as `-0`.
 * Examples: 1e16 → `1e+16`, 12e15 → `12000000000000000`, 0.00001 → `1e-05`, 1e-7 → `1e-07`.
 * jq prints NaN as `null` and clamps ±Infinity to ±DBL_MAX; JavaScript values like that cannot come
 * out of a JSON text (parseOrdered clamps out-of-range literals itself), so they are refused here.
 */
import { MeshError, MeshErrorCode } from './errors.ts';

/** Largest magnitude whose shortest digits always print in plain form without any work (< 2^53). */
const PLAIN_INTEGER_LIMIT = Number.MAX_SAFE_INTEGER;

export function formatJqNumber(n: number): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new MeshError(MeshErrorCode.InvalidJson, `cannot serialize ${String(n)} as a JSON number`);
  }
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  // Integers below 2^53 have at most 16 digits, so decpt <= digits + 15 always holds: plain form.
  if (Number.isInteger(n) && Math.abs(n) <= PLAIN_INTEGER_LIMIT) return String(n);

  const { digits, decpt } = shortestDigits(Math.abs(n));
  const sign = n < 0 ? '-' : '';
  const nd = digits.length;
  if (decpt <= -4 || decpt > nd + 15) {
    const e = decpt - 1;
    const mantissa = nd > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expDigits = String(Math.abs(e)).padStart(2, '0');
    return `${sign}${mantissa}e${e < 0 ? '-' : '+'}${expDigits}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (nd <= decpt) return sign + digits + '0'.repeat(decpt - nd);
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/**
 * Shortest round-trip decimal digits (no leading or trailing zeros) and the decimal point position
 * of a finite positive number, read off `Number.prototype.toString`, whose digit choice (shortest,
 * then closest) is the one Gay's `dtoa` mode 0 makes.
 */
function shortestDigits(x: number): { digits: string; decpt: number } {
  const s = String(x);
  const e = s.indexOf('e');
  if (e >= 0) {
    const mantissa = s.slice(0, e);
    const digits = mantissa.length > 1 ? mantissa[0] + mantissa.slice(2) : mantissa;
    return { digits, decpt: Number(s.slice(e + 1)) + 1 };
  }
  const dot = s.indexOf('.');
  if (dot < 0) {
    let end = s.length;
    while (end > 1 && s.charCodeAt(end - 1) === 0x30) end--;
    return { digits: s.slice(0, end), decpt: s.length };
  }
  if (s.startsWith('0.')) {
    let i = 2;
    while (s.charCodeAt(i) === 0x30) i++;
    return { digits: s.slice(i), decpt: -(i - 2) };
  }
  return { digits: s.slice(0, dot) + s.slice(dot + 1), decpt: dot };
}

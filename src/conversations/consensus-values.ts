/**
 * The value an answer stands for, as bash's mesh-consensus.sh reads it (bash-mesh-behavior.md §6.6):
 * strip a leading `Response:`, `Responded with:`, `Answer:` or `Result:` (any case), then the first
 * number-like token (`[\d,]+\.?\d*`, commas removed) is the value; without one, the lowercased text.
 *
 * One deliberate difference: a token made of commas only (the `,` in "yes, 42") is not a number (bash
 * would try float("") on it); the search goes on to the next token, so "yes, 42" is 42.
 * Numbers print as Python prints floats (`1260.0`, `1e+16`), which is what bash's JSON shows.
 */

export type ConsensusValue = number | string;

const PREFIX_RE = /^(?:response|responded with|answer|result):\s*/i;
const NUMBER_TOKEN_RE = /[\d,]+\.?\d*/g;

export function extractValue(body: string): ConsensusValue {
  const text = body.trim().replace(PREFIX_RE, '');
  for (const m of text.matchAll(NUMBER_TOKEN_RE)) {
    const digits = m[0].replaceAll(',', '');
    if (/\d/.test(digits)) return Number(digits);
  }
  return text.trim().toLowerCase();
}

/**
 * Python's round(x, 2) for a double: the decimal nearest to the exact binary value, ties (which
 * only exact binary fractions such as 0.125 can be) to the even last digit.
 */
export function round2(x: number): number {
  if (!Number.isFinite(x)) return x;
  // A tie is x = (2k + 1) / 200 exactly; as a binary fraction that is an odd multiple of 1/8, and
  // x * 8 is exact. Anything else rounds by its exact value, which toFixed does.
  const eighths = x * 8;
  if (Number.isInteger(eighths) && eighths % 2 !== 0 && Math.abs(eighths) < 2 ** 49) {
    const down = Math.floor(x * 100);
    return (down % 2 === 0 ? down : down + 1) / 100;
  }
  return Number(x.toFixed(2));
}

/** Python's repr(float): shortest round-trip digits, `.0` on integers, exponent form outside [1e-4, 1e16). */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/** How a value prints in the analysis (`values`, `majority.value`). */
export function valueText(v: ConsensusValue): string {
  return typeof v === 'number' ? pythonFloat(v) : v;
}

/** Values that count as the same answer: numbers equal after round2, texts equal. */
export function valueKey(v: ConsensusValue): string {
  return typeof v === 'number' ? `n:${round2(v)}` : `t:${v}`;
}

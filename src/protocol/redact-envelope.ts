/**
 * Envelopes shown to people: a request's `replyTo.token` is the sender's hook token (a bearer
 * secret), so every value under a key named `token` / `…Token` is replaced by "***" before printing.
 */

export const MASK = '***';

const isTokenKey = (k: string): boolean => /token$/i.test(k);

function mask(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(mask);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // defineProperty keeps a key called "__proto__" an own property instead of a prototype swap.
      Object.defineProperty(out, k, {
        value: isTokenKey(k) && x !== null && x !== '' ? MASK : mask(x),
        enumerable: true, writable: true, configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** The envelope as a JSON value with tokens masked, or null when the text is not JSON. */
export function redactedEnvelope(text: string): unknown {
  try {
    return mask(JSON.parse(text));
  } catch {
    return null;
  }
}

/** Pretty-printed envelope with tokens masked; text that is not JSON is masked by pattern. */
export function redactedEnvelopeText(text: string): string {
  const v = redactedEnvelope(text);
  if (v !== null) return JSON.stringify(v, null, 2);
  return text.replace(/("[A-Za-z_]*[Tt]oken"\s*:\s*)"(?:[^"\\]|\\.)*"/g, `$1"${MASK}"`);
}

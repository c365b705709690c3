/**
 * Strict (RFC 8259) JSON parser that keeps what jq 1.6 keeps, so that `serializeJq(parseOrdered(t))`
 * equals `jq -c . <<< t` byte for byte (see canonical-json.ts):
 *  - objects become `Map`s in key order as written, integer-like keys included; a duplicate key
 *    takes the last value at the position of its first occurrence (jq does the same);
 *  - numbers become doubles (correctly rounded, like jq's strtod); literals beyond the double range
 *    become ±Number.MAX_VALUE, which is what jq prints for them;
 *  - `\uXXXX` escapes: a surrogate pair gives the astral character; a high surrogate that is not
 *    followed by a `\u` low surrogate is an error (jq: "Invalid \uXXXX\uXXXX surrogate pair
 *    escape"); a lone low surrogate becomes U+FFFD (jq prints U+FFFD for it).
 *  - nesting is limited the way jq 1.6 limits it (MAX_PARSING_DEPTH 256): every open array or object
 *    takes one slot, and an object whose member value is being parsed takes one more (the pending
 *    key), so 256 nested arrays but only 128 nested objects `{"a":{"a":…}}` are accepted.
 * jq 1.6 is more lenient than RFC 8259 in places (`NaN`, `nan`, `01`, `.5`, `+1`, `1.`, a leading
 * BOM): those are rejected here. Errors are MeshError(InvalidJson) with a UTF-16 position and
 * never echo more than one character of the input.
 */
import { MeshError, MeshErrorCode } from './errors.ts';
import type { JsonValue } from './json.ts';

export interface ParseOptions {
  /** jq-style nesting budget (see above). Default 256, like jq 1.6. */
  readonly maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 256;

const SIMPLE_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t',
};

/**
 * A run of string characters that need no attention (sticky, one greedy class: linear, no
 * backtracking). Always matches, possibly empty; lastIndex then points at `"`, `\`, a control or the end.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;

export function parseOrdered(text: string, options: ParseOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const len = text.length;
  let pos = 0;

  const fail = (at: number, reason: string): never => {
    throw new MeshError(MeshErrorCode.InvalidJson, `invalid JSON at position ${at}: ${reason}`, {
      details: { position: at },
    });
  };
  const unexpected = (): never =>
    pos >= len ? fail(pos, 'unexpected end of input') : fail(pos, `unexpected character ${JSON.stringify(text[pos])}`);

  const skipWs = (): void => {
    while (pos < len) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      pos++;
    }
  };

  const hex4 = (at: number): number => {
    let v = 0;
    for (let i = at; i < at + 4; i++) {
      const c = i < len ? text.charCodeAt(i) : -1;
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return fail(i, 'invalid \\u escape');
      v = v * 16 + d;
    }
    return v;
  };

  /**
   * pos is on the opening quote; leaves pos after the closing quote. Strings with escapes are built
   * from chunks joined once, which yields a flat string (a `+=` rope would make every later
   * charCodeAt, e.g. in serializeJq, take V8's slow path).
   */
  const parseString = (): string => {
    const open = pos;
    let start = ++pos;
    let parts: string[] | null = null;
    for (;;) {
      PLAIN_RUN.lastIndex = pos;
      PLAIN_RUN.test(text);
      pos = PLAIN_RUN.lastIndex;
      if (pos >= len) return fail(open, 'unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        const tail = text.slice(start, pos);
        pos++;
        if (parts === null) return tail;
        parts.push(tail);
        return parts.join('');
      }
      if (c === 0x5c) {
        parts ??= [];
        parts.push(text.slice(start, pos));
        const e = pos + 1 < len ? text.charCodeAt(pos + 1) : -1;
        const simple = SIMPLE_ESCAPES[e];
        if (simple !== undefined) {
          parts.push(simple);
          pos += 2;
        } else if (e === 0x75) {
          parts.push(unicodeEscape());
        } else {
          pos++;
          unexpected();
        }
        start = pos;
      } else {
        fail(pos, 'unescaped control character in string');
      }
    }
  };

  /** pos is on the backslash of `\uXXXX`; consumes it (and a following low surrogate escape). */
  const unicodeEscape = (): string => {
    const cu = hex4(pos + 2);
    const at = pos;
    pos += 6;
    if (cu >= 0xdc00 && cu <= 0xdfff) return '\ufffd';
    if (cu < 0xd800 || cu > 0xdbff) return String.fromCharCode(cu);
    if (text.charCodeAt(pos) === 0x5c && text.charCodeAt(pos + 1) === 0x75) {
      const low = hex4(pos + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        pos += 6;
        return String.fromCharCode(cu, low);
      }
    }
    return fail(at, 'invalid \\uXXXX\\uXXXX surrogate pair escape');
  };

  const digitsFrom = (at: number): number => {
    let i = at;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    return i;
  };

  const parseNumber = (): number => {
    const start = pos;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    const c = pos < len ? text.charCodeAt(pos) : -1;
    if (c === 0x30) pos++;
    else if (c >= 0x31 && c <= 0x39) pos = digitsFrom(pos + 1);
    else unexpected();
    if (text.charCodeAt(pos) === 0x2e) {
      const end = digitsFrom(pos + 1);
      if (end === pos + 1) {
        pos++;
        unexpected();
      }
      pos = end;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const s = text.charCodeAt(pos);
      if (s === 0x2b || s === 0x2d) pos++;
      const end = digitsFrom(pos);
      if (end === pos) unexpected();
      pos = end;
    }
    const n = Number(text.slice(start, pos));
    if (n === Infinity) return Number.MAX_VALUE;
    if (n === -Infinity) return -Number.MAX_VALUE;
    return n;
  };

  const literal = (word: string, value: JsonValue): JsonValue => {
    if (!text.startsWith(word, pos)) unexpected();
    pos += word.length;
    return value;
  };

  /** `slots` = jq parser stack entries in use around this value. */
  const parseValue = (slots: number): JsonValue => {
    skipWs();
    const c = pos < len ? text.charCodeAt(pos) : -1;
    switch (c) {
      case 0x22: return parseString();
      case 0x7b: return parseObject(slots);
      case 0x5b: return parseArray(slots);
      case 0x74: return literal('true', true);
      case 0x66: return literal('false', false);
      case 0x6e: return literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumber();
        return unexpected();
    }
  };

  const enter = (slots: number): void => {
    if (slots >= maxDepth) fail(pos, `nesting deeper than the limit (${maxDepth})`);
    pos++;
  };

  const parseArray = (slots: number): JsonValue[] => {
    enter(slots);
    const out: JsonValue[] = [];
    skipWs();
    if (text.charCodeAt(pos) === 0x5d) {
      pos++;
      return out;
    }
    for (;;) {
      out.push(parseValue(slots + 1));
      skipWs();
      const c = text.charCodeAt(pos);
      if (c === 0x2c) pos++;
      else if (c === 0x5d) {
        pos++;
        return out;
      } else unexpected();
    }
  };

  const parseObject = (slots: number): Map<string, JsonValue> => {
    enter(slots);
    const out = new Map<string, JsonValue>();
    skipWs();
    if (text.charCodeAt(pos) === 0x7d) {
      pos++;
      return out;
    }
    for (;;) {
      skipWs();
      if (text.charCodeAt(pos) !== 0x22) unexpected();
      const key = parseString();
      skipWs();
      if (text.charCodeAt(pos) !== 0x3a) unexpected();
      pos++;
      out.set(key, parseValue(slots + 2));
      skipWs();
      const c = text.charCodeAt(pos);
      if (c === 0x2c) pos++;
      else if (c === 0x7d) {
        pos++;
        return out;
      } else unexpected();
    }
  };

  let value: JsonValue;
  try {
    value = parseValue(0);
  } catch (e) {
    // Stack overflow (only with a caller-supplied maxDepth far beyond jq's) or an over-long string.
    if (e instanceof RangeError) fail(pos, 'input too deeply nested or too large for the parser');
    throw e;
  }
  skipWs();
  if (pos < len) fail(pos, 'unexpected data after the JSON value');
  return value;
}

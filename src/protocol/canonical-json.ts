/**
 * jq-1.6-compatible canonical JSON (bash-mesh-behavior.md §3.2, §14 C): HMAC signatures between MESH
 * nodes cover `jq -c` output, so `serializeJq(parseOrdered(text))` must equal `jq -c . <<< text`
 * byte for byte. Verified against the real jq 1.6 binary by test/canonical-json-jq.test.ts.
 *
 * serializeJq writes compact JSON:
 *  - Map keys, and plain-object keys, in iteration order (plain objects put integer-like keys first:
 *    use Maps, as parseOrdered does, whenever the order came from the wire);
 *  - strings escape `"` `\` `\b` `\f` `\n` `\r` `\t`, other C0 controls and U+007F as lowercase
 *    `\u00xx`; everything else (`/`, non-ASCII, U+2028/2029, astral characters) is written raw;
 *    a lone surrogate becomes U+FFFD, which is what jq prints for a lone `\udc00` escape and what a
 *    UTF-8 encoder makes of one;
 *  - numbers via formatJqNumber (jq-number.ts).
 * Values JSON cannot represent throw MeshError(InvalidJson) instead of being dropped or changed:
 * NaN, ±Infinity, undefined (also as an object member or array element), bigint, symbols,
 * functions, non-string Map keys, and objects that are not plain (Date, class instances…).
 * Nesting is limited exactly like parseOrdered (jq's stack budget), so everything serializeJq emits
 * can be parsed back by parseOrdered and by jq 1.6; this also stops cyclic structures.
 */
import { MeshError, MeshErrorCode } from './errors.ts';
import { formatJqNumber } from './jq-number.ts';
import type { JsonValue } from './json.ts';
import { DEFAULT_MAX_DEPTH } from './ordered-json-parse.ts';

export { parseOrdered, DEFAULT_MAX_DEPTH, type ParseOptions } from './ordered-json-parse.ts';
export { formatJqNumber } from './jq-number.ts';

export interface SerializeOptions {
  /** Same jq-style nesting budget as parseOrdered. Default 256. */
  readonly maxDepth?: number;
}

/** Escape sequence for each code unit below 0x80 that needs one; '' = written raw. */
const ASCII_ESCAPES: readonly string[] = Array.from({ length: 0x80 }, (_, c) => {
  switch (c) {
    case 0x22: return '\\"';
    case 0x5c: return '\\\\';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    default:
      return c < 0x20 || c === 0x7f ? `\\u${c.toString(16).padStart(4, '0')}` : '';
  }
});

/** Code units that need an escape or a replacement (any surrogate: the loop checks pairing). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const NEEDS_WORK = /["\\\u0000-\u001f\u007f\ud800-\udfff]/;

/** Writes `s` as a jq string literal; copies unescaped runs as slices, not character by character. */
export function quoteJq(s: string): string {
  if (!NEEDS_WORK.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c < 0x80) {
      rep = ASCII_ESCAPES[c] ?? '';
      if (rep === '') continue;
    } else if (c < 0xd800 || c > 0xdfff) {
      continue;
    } else if (c <= 0xdbff && i + 1 < len && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++; // well-formed surrogate pair: raw
      continue;
    } else {
      rep = '\ufffd';
    }
    if (i > start) out += s.slice(start, i);
    out += rep;
    start = i + 1;
  }
  if (start === 0) return `"${s}"`;
  return out + s.slice(start) + '"';
}

function invalid(what: string): never {
  throw new MeshError(MeshErrorCode.InvalidJson, `cannot serialize ${what} as JSON`);
}

function isPlainObject(v: object): v is Record<string, JsonValue> {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function serializeJq(value: JsonValue, options: SerializeOptions = {}): string {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;

  const enter = (slots: number): void => {
    if (slots >= maxDepth) invalid(`nesting deeper than the limit (${maxDepth}) or a cyclic structure`);
  };

  /** `slots` = jq parser stack entries in use around this value (see ordered-json-parse.ts). */
  const write = (v: unknown, slots: number): string => {
    switch (typeof v) {
      case 'string': return quoteJq(v);
      case 'number': return formatJqNumber(v);
      case 'boolean': return v ? 'true' : 'false';
      case 'object': break;
      default: return invalid(typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`);
    }
    if (v === null) return 'null';
    if (Array.isArray(v)) {
      enter(slots);
      if (v.length === 0) return '[]';
      let out = '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out += ',';
        out += write(v[i], slots + 1);
      }
      return out + ']';
    }
    if (v instanceof Map) {
      enter(slots);
      let out = '{';
      for (const [k, val] of v as Map<unknown, unknown>) {
        if (typeof k !== 'string') invalid(`a Map key of type ${typeof k}`);
        if (out.length > 1) out += ',';
        out += `${quoteJq(k)}:${write(val, slots + 2)}`;
      }
      return out + '}';
    }
    if (isPlainObject(v)) {
      enter(slots);
      let out = '{';
      for (const k of Object.keys(v)) {
        if (out.length > 1) out += ',';
        out += `${quoteJq(k)}:${write(v[k], slots + 2)}`;
      }
      return out + '}';
    }
    return invalid(`an object of type ${v.constructor?.name ?? 'unknown'}`);
  };

  return write(value, 0);
}

// fast-check arbitraries that produce nasty JSON *text* that jq 1.6 accepts: random whitespace,
// integer-like and duplicate keys, raw and escaped unicode, control characters, DEL, lone low
// surrogate escapes, surrogate pairs, deep nesting within jq's stack budget, and numbers chosen to
// hit every branch of jq's number printer. Used by canonical-json-jq.test.ts.
import fc from 'fast-check';

const hex4 = (cu: number, upper: boolean): string => {
  const h = cu.toString(16).padStart(4, '0');
  return `\\u${upper ? h.toUpperCase() : h}`;
};

/** One raw code point that may appear unescaped inside a JSON string (no surrogates, no `"` `\`). */
const rawChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constantFrom(0x7f, 0x80, 0xa0, 0xe9, 0xff, 0x2028, 0x2029, 0xfeff, 0xfffd, 0xffff) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xd7ff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
)
  .filter((cp) => cp !== 0x22 && cp !== 0x5c)
  .map((cp) => String.fromCodePoint(cp));

/** One escape sequence jq 1.6 accepts. */
const escape: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t'),
  // controls, DEL, printable ASCII, BMP (including lone LOW surrogates, which jq turns into U+FFFD)
  fc.tuple(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.constantFrom(0x7f, 0x2028, 0x2029, 0xdc00, 0xdfff, 0xfeff, 0xffff),
      fc.integer({ min: 0x80, max: 0xd7ff }),
      fc.integer({ min: 0xdc00, max: 0xffff }),
    ),
    fc.boolean(),
  ).map(([cu, upper]) => hex4(cu, upper)),
  // surrogate pairs as escapes
  fc.tuple(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff }), fc.boolean())
    .map(([hi, lo, upper]) => hex4(hi, upper) + hex4(lo, !upper)),
);

export const jsonStringText: fc.Arbitrary<string> = fc
  .array(fc.oneof({ weight: 4, arbitrary: rawChar }, { weight: 1, arbitrary: escape }), { maxLength: 24 })
  .map((parts) => `"${parts.join('')}"`);

const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** Grammar-built literals: any sign, leading digit, fraction and exponent shape. */
const structuredNumber: fc.Arbitrary<string> = fc
  .record({
    minus: fc.boolean(),
    int: fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 24)).map(([a, b]) => a + b)),
    frac: fc.option(digits(1, 24), { nil: '' }),
    exp: fc.option(
      fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.oneof(digits(1, 2), digits(3, 4))),
      { nil: null },
    ),
  })
  .map(({ minus, int, frac, exp }) =>
    `${minus ? '-' : ''}${int}${frac === '' ? '' : `.${frac}`}${exp === null ? '' : exp.join('')}`);

/** Literals near the printer's thresholds: 1e-4 and digits + 15. */
const thresholdNumber: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: -12, max: 25 }), fc.boolean())
  .map(([m, e, minus]) => `${minus ? '-' : ''}${m}e${e}`);

const doubleNumber: fc.Arbitrary<string> = fc
  .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('string', 'exp', 'fixed'))
  .map(([d, form]) => {
    if (Object.is(d, -0)) return '-0';
    if (form === 'exp') return d.toExponential();
    if (form === 'fixed' && Math.abs(d) < 1e21) return d.toFixed(Math.abs(d) < 1 ? 20 : 3);
    return String(d);
  });

const integerNumber: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 0, max: 30 }), fc.boolean())
    .map(([m, z, minus]) => `${minus ? '-' : ''}${m}${'0'.repeat(z)}`),
  fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 3 })).map(([m, z]) => `${m}.${'0'.repeat(z + 1)}`),
);

const nastyNumber = fc.constantFrom(
  '0', '-0', '-0.0', '1.0', '1e16', '12e15', '1e15', '0.00001', '1e-7', '0.0001', '0.0001234', '1E400', '-1E400',
  '1e-400', '-1e-400', '1.5e300', '123456789012345678', '9007199254740993', '5e-324', '1.7976931348623157e308',
  '2.2250738585072011e-308', '1.00000000000000011102230246251565404236316680908203125', '0.1', '100000000000000000000',
);

export const jsonNumberText: fc.Arbitrary<string> = fc.oneof(
  structuredNumber, thresholdNumber, doubleNumber, integerNumber, nastyNumber,
);

/** Small key pool so that duplicates and integer-like keys are common. */
const keyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('"a"', '"b"', '"id"', '"0"', '"1"', '"2"', '"10"', '"007"', '"-1"', '"1.5"', '""', '"__proto__"', '"\\u0032"') },
  { weight: 1, arbitrary: fc.nat({ max: 4_294_967_296 }).map((n) => `"${n}"`) },
  { weight: 2, arbitrary: jsonStringText },
);

const ws = fc.constantFrom('', '', '', ' ', '\t', '\n', '\r\n', '  ');

const scalarText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: jsonNumberText },
  { weight: 3, arbitrary: jsonStringText },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
);

const { value: treeText } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ maxDepth: 5, depthSize: 'small' }, scalarText, tie('array'), tie('object')),
  array: fc
    .array(fc.tuple(ws, tie('value'), ws), { maxLength: 6 })
    .chain((items) => ws.map((w) => `[${items.length === 0 ? w : items.map((p) => p.join('')).join(',')}]`)),
  object: fc
    .array(fc.tuple(ws, keyText, ws, ws, tie('value'), ws), { maxLength: 6 })
    .map((members) => `{${members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(',')}}`),
}));

/**
 * Deep nesting up to jq 1.6's stack budget: arrays take one slot, objects two (the pending key);
 * a container may only be opened while fewer than 256 slots are in use.
 */
const deepText: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.boolean(), { minLength: 20, maxLength: 255 }), fc.oneof(scalarText, fc.constantFrom('[]', '{}')))
  .map(([kinds, inner]) => {
    let open = '';
    let close = '';
    let slots = 0;
    for (const isObject of kinds) {
      const need = isObject ? 2 : 1;
      if (slots + need > 255) break; // the innermost value may still open a container
      open += isObject ? '{"k":' : '[';
      close = (isObject ? '}' : ']') + close;
      slots += need;
    }
    return open + inner + close;
  });

/** A whole document: one JSON value with optional surrounding whitespace. */
export const jsonDocumentText: fc.Arbitrary<string> = fc
  .tuple(ws, fc.oneof({ weight: 12, arbitrary: treeText }, { weight: 1, arbitrary: deepText }), ws)
  .map(([a, v, b]) => a + v + b);

// Unit tests for jq-1.6-compatible canonical JSON. Every expected output string below was produced by
// the real jq 1.6 binary (`jq -c .`); they are golden values, not derived from our code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJqNumber, parseOrdered, serializeJq } from './canonical-json.ts';
import { isMeshError } from './errors.ts';
import type { JsonValue } from './json.ts';

const ENVELOPE_423 =
  '{"protocol":"mesh/1.0","id":"msg_00000000-0000-4000-8000-000000000000","timestamp":"2026-01-01T00:00:00.000Z",' +
  '"from":"alpha","to":"beta","type":"notification","correlationId":null,"conversationId":null,"replyTo":null,' +
  '"replyContext":null,"session":null,"priority":"normal","ttl":300,"idempotencyKey":null,' +
  '"nonce":"0123456789abcdef0123456789abcdef","payload":{"subject":"Hello","body":"Hello","attachments":[],"metadata":{}}}';

const canon = (text: string): string => serializeJq(parseOrdered(text));
const nest = (open: string, close: string, n: number, inner: string): string => open.repeat(n) + inner + close.repeat(n);

function assertInvalidJson(fn: () => unknown, messagePart?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isMeshError(e), `expected a MeshError, got ${String(e)}`);
    assert.equal(e.code, 'INVALID_JSON');
    if (messagePart !== undefined) assert.ok(e.message.includes(messagePart), e.message);
    return true;
  });
}

describe('the §2.1 envelope (423 bytes)', () => {
  test('parse + serialize reproduces it byte for byte', () => {
    assert.equal(Buffer.byteLength(ENVELOPE_423), 423);
    assert.equal(canon(ENVELOPE_423), ENVELOPE_423);
  });

  test('re-serialization of a pretty-printed copy gives the same bytes (what a verifier does)', () => {
    assert.equal(canon(JSON.stringify(JSON.parse(ENVELOPE_423), null, 2)), ENVELOPE_423);
  });

  test('a plain object built in §2.1 order serializes to the same bytes', () => {
    const plain = JSON.parse(ENVELOPE_423) as JsonValue;
    assert.equal(serializeJq(plain), ENVELOPE_423);
  });
});

describe('parseOrdered', () => {
  test('objects are Maps in written order, integer-like keys included', () => {
    const v = parseOrdered('{"b":1,"2":2,"10":3,"a":4}');
    assert.ok(v instanceof Map);
    assert.deepEqual([...v.keys()], ['b', '2', '10', 'a']);
    assert.equal(serializeJq(v), '{"b":1,"2":2,"10":3,"a":4}');
  });

  test('duplicate keys: the last value wins at the position of the first occurrence', () => {
    const v = parseOrdered('{"a":1,"a":2,"b":3,"a":4}');
    assert.deepEqual(v, new Map<string, JsonValue>([['a', 4], ['b', 3]]));
    assert.equal(serializeJq(v), '{"a":4,"b":3}');
  });

  test('keys like __proto__ are ordinary keys', () => {
    const v = parseOrdered('{"__proto__":{"x":1},"constructor":2}');
    assert.deepEqual([...(v as Map<string, JsonValue>).keys()], ['__proto__', 'constructor']);
  });

  test('arrays, scalars and whitespace', () => {
    assert.deepEqual(parseOrdered(' \t\r\n[true , false,null,"x", -1.5 ,[] ,{}]\n'), [true, false, null, 'x', -1.5, [], new Map()]);
    assert.equal(parseOrdered('"x"'), 'x');
    assert.equal(parseOrdered(' 0 '), 0);
  });

  test('numbers are doubles; out-of-range literals clamp like jq prints them', () => {
    assert.equal(parseOrdered('123456789012345678'), 123456789012345680);
    assert.equal(parseOrdered('1E400'), Number.MAX_VALUE);
    assert.equal(parseOrdered('-1E400'), -Number.MAX_VALUE);
    assert.ok(Object.is(parseOrdered('1e-400'), 0));
    assert.ok(Object.is(parseOrdered('-1e-400'), -0));
    assert.ok(Object.is(parseOrdered('-0'), -0));
  });

  test('escapes: short forms, \\/, \\u00e9 in either case, surrogate pairs', () => {
    assert.equal(parseOrdered('"\\" \\\\ \\/ \\b \\f \\n \\r \\t"'), '" \\ / \b \f \n \r \t');
    assert.equal(parseOrdered('"\\u00e9\\u00E9\\u007f\\u0000"'), 'éé\u007f\u0000');
    assert.equal(parseOrdered('"\\ud83d\\ude00\\uD83D\\uDE00"'), '😀😀');
  });

  test('a lone low surrogate escape becomes U+FFFD (jq 1.6 prints "\\udc00" as U+FFFD)', () => {
    assert.equal(parseOrdered('"a\\udc00b"'), 'a\ufffdb');
    assert.equal(canon('["\\udc00","a\\udc00b","\\udfff\\udc00"]'), '["\ufffd","a\ufffdb","\ufffd\ufffd"]');
  });

  test('a high surrogate escape without a low surrogate escape is rejected (jq 1.6 rejects it)', () => {
    for (const t of ['"\\ud800"', '"\\ud800x"', '"\\ud800\\u0041"', '"\\ud800\\ud800"', '"\\ud83d\ude00"']) {
      assertInvalidJson(() => parseOrdered(t), 'surrogate pair');
    }
  });

  test('rejects what RFC 8259 forbids, including inputs jq 1.6 tolerates (NaN, 01, .5, +1, 1., BOM)', () => {
    const bad = [
      '', ' ', 'NaN', 'nan', 'Infinity', '01', '-01', '.5', '+1', '1.', '1.e5', '1e', '1e+', '-', '0x10',
      '\ufeff{}', '"a\tb"', '"a\nb"', '"\u0000"', "'x'", '[1,]', '{"a":1,}', '[1 2]', '{a:1}', '{"a" 1}', '{"a":}',
      '[', ']', '{', '{"a":1', '"abc', '"\\x"', '"\\u12"', '"\\u12G4"', '"\\', 'tru', 'nul', 'true false', '{} x',
      '/* c */ 1', '[1]]',
    ];
    for (const t of bad) assertInvalidJson(() => parseOrdered(t));
  });

  test('errors give a position and do not echo the input', () => {
    assert.throws(() => parseOrdered('{"secret":"hunter2'), (e: unknown) => {
      assert.ok(isMeshError(e));
      assert.match(e.message, /^invalid JSON at position 10: /);
      assert.equal(e.details.position, 10);
      assert.ok(!e.message.includes('hunter2'));
      return true;
    });
    assertInvalidJson(() => parseOrdered('[1,2]x'), 'position 5');
  });

  test('nesting: jq 1.6 budget of 256 stack slots (arrays 1, objects 2 while a member is parsed)', () => {
    assert.equal(canon(nest('[', ']', 256, '')), nest('[', ']', 256, ''));
    assertInvalidJson(() => parseOrdered(nest('[', ']', 257, '')), 'nesting');
    assert.equal(canon(nest('{"a":', '}', 128, '1')), nest('{"a":', '}', 128, '1'));
    assertInvalidJson(() => parseOrdered(nest('{"a":', '}', 129, '1')), 'nesting');
    assertInvalidJson(() => parseOrdered(nest('{"a":', '}', 128, '{}')), 'nesting');
    assert.ok(parseOrdered(nest('[{"a":', '}]', 85, '[1]')));
    assertInvalidJson(() => parseOrdered(nest('[{"a":', '}]', 85, '[[1]]')), 'nesting');
  });

  test('maxDepth option; absurd limits still fail cleanly instead of overflowing the stack', () => {
    assert.deepEqual(parseOrdered('[[1]]', { maxDepth: 2 }), [[1]]);
    assertInvalidJson(() => parseOrdered('[[[1]]]', { maxDepth: 2 }), 'nesting');
    assertInvalidJson(() => parseOrdered('{"a":[1]}', { maxDepth: 2 }), 'nesting');
    assertInvalidJson(() => parseOrdered(nest('[', ']', 300_000, ''), { maxDepth: 1e9 }));
  });

  test('1 MB inputs parse (linear scanning: long strings, many escapes, many members)', () => {
    const longString = `"${'x'.repeat(1 << 20)}"`;
    assert.equal((parseOrdered(longString) as string).length, 1 << 20);
    const escapes = `"${'\\u00e9\\n'.repeat(1 << 17)}"`;
    assert.equal((parseOrdered(escapes) as string).length, 2 << 17);
    const members = `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}.5`).join(',')}}`;
    const parsed = parseOrdered(members);
    assert.equal((parsed as Map<string, JsonValue>).size, 50_000);
    assert.equal(serializeJq(parsed), members);
  });
});

describe('serializeJq strings', () => {
  test('escapes exactly like jq: short escapes, other C0 as \\u00xx, DEL; / and non-ASCII raw', () => {
    const input = '"\\" \\\\ \\b \\f \\n \\r \\t \\u0000 \\u0001 \\u001f \\u007f / é \\u2028 \\u2029 😀 \\u00e9 \\ud83d\\ude00 \\/"';
    const jq = '"\\" \\\\ \\b \\f \\n \\r \\t \\u0000 \\u0001 \\u001f \\u007f / é \u2028 \u2029 😀 é 😀 /"';
    assert.equal(canon(input), jq);
    assert.equal(serializeJq('\u007f'), '"\\u007f"');
    assert.equal(serializeJq('\u001b[0m'), '"\\u001b[0m"');
  });

  test('lone surrogates in JS strings become U+FFFD; pairs stay raw', () => {
    assert.equal(serializeJq('\ud800'), '"\ufffd"');
    assert.equal(serializeJq('a\udc00b'), '"a\ufffdb"');
    assert.equal(serializeJq('\udc00\ud800'), '"\ufffd\ufffd"');
    assert.equal(serializeJq('x\ud83d'), '"x\ufffd"');
    assert.equal(serializeJq('\ud83d\ude00'), '"😀"');
    assert.equal(serializeJq(new Map([['\ud800', 1]])), '{"\ufffd":1}');
  });
});

describe('serializeJq values', () => {
  test('Maps keep insertion order; plain objects follow JS key order (integer-like keys first)', () => {
    const m = new Map<string, JsonValue>([['b', 1], ['2', 2], ['10', 3], ['a', [true, null, {}]]]);
    assert.equal(serializeJq(m), '{"b":1,"2":2,"10":3,"a":[true,null,{}]}');
    assert.equal(serializeJq({ b: 1, 2: 2 }), '{"2":2,"b":1}');
    assert.equal(serializeJq(Object.assign(Object.create(null) as Record<string, JsonValue>, { k: 'v' })), '{"k":"v"}');
  });

  test('nesting limit mirrors parseOrdered, so everything emitted can be parsed back', () => {
    const arrays = (n: number): JsonValue => (n === 0 ? [] : [arrays(n - 1)]);
    const objects = (n: number): JsonValue => (n === 0 ? 1 : new Map([['a', objects(n - 1)]]));
    assert.equal(serializeJq(arrays(255)), nest('[', ']', 256, ''));
    assertInvalidJson(() => serializeJq(arrays(256)), 'nesting');
    assert.equal(serializeJq(objects(128)), nest('{"a":', '}', 128, '1'));
    assertInvalidJson(() => serializeJq(objects(129)), 'nesting');
  });

  test('values JSON cannot represent throw instead of being dropped or changed', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    class Thing { x = 1; }
    const bad: unknown[] = [
      undefined, { a: undefined }, [undefined], new Array(2), NaN, Infinity, -Infinity, [NaN], 10n, Symbol('s'),
      () => 1, new Date(0), new Thing(), new Map<unknown, unknown>([[1, 'x']]), cyclic, new Uint8Array(2),
    ];
    for (const v of bad) assertInvalidJson(() => serializeJq(v as JsonValue));
  });
});

describe('formatJqNumber (jq 1.6 golden values)', () => {
  // [literal as typed into jq, jq -c output]
  const golden: readonly [string, string][] = [
    ['0', '0'], ['-0', '-0'], ['1', '1'], ['-1', '-1'], ['1.0', '1'], ['1e2', '100'], ['300', '300'],
    ['0.1', '0.1'], ['0.5', '0.5'], ['-1.5', '-1.5'], ['1e15', '1000000000000000'], ['1e16', '1e+16'],
    ['-1e16', '-1e+16'], ['12e15', '12000000000000000'], ['1.5e16', '15000000000000000'],
    ['1.25e17', '125000000000000000'], ['1e17', '1e+17'], ['1e21', '1e+21'], ['1e22', '1e+22'],
    ['100000000000000000000', '1e+20'], ['123456789012345678', '123456789012345680'],
    ['98765432109876543210', '98765432109876540000'], ['9007199254740993', '9007199254740992'],
    ['0.0001', '0.0001'], ['1e-4', '0.0001'], ['0.0001234', '0.0001234'], ['9.999999999999999e-5', '9.999999999999999e-05'],
    ['0.00001', '1e-05'], ['1.5e-5', '1.5e-05'], ['1e-7', '1e-07'], ['-5e-7', '-5e-07'], ['123.456e-10', '1.23456e-08'],
    ['1.5e300', '1.5e+300'], ['1e308', '1e+308'], ['1.7976931348623157e308', '1.7976931348623157e+308'],
    ['1E400', '1.7976931348623157e+308'], ['-1E400', '-1.7976931348623157e+308'], ['1e-400', '0'], ['-1e-400', '-0'],
    ['5e-324', '5e-324'], ['2.2250738585072014e-308', '2.2250738585072014e-308'], ['3.141592653589793', '3.141592653589793'],
    ['0.3', '0.3'], ['4.35', '4.35'], ['1234567.125', '1234567.125'],
  ];

  for (const [literal, jq] of golden) {
    test(`${literal} → ${jq}`, () => {
      assert.equal(canon(literal), jq);
      const n = parseOrdered(literal) as number;
      assert.equal(formatJqNumber(n), jq);
    });
  }

  test('non-finite numbers throw (jq would print null / DBL_MAX; we refuse to change a value silently)', () => {
    for (const n of [NaN, Infinity, -Infinity]) assertInvalidJson(() => formatJqNumber(n));
  });
});

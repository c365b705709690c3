// The batch wire format (protocol/hook-batch.ts): what a receiver accepts as a batch request, what a
// sender accepts as a batch answer, and that encoding then parsing gives back every item exactly.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BATCH_FRAME_BYTES, BATCH_MAX_ITEMS, encodeBatch, parseBatchAnswer, parseBatchRequest,
} from './hook-batch.ts';

const HOOK_BODY = '{"message":"{\\"protocol\\":\\"mesh/1.0\\",\\"id\\":\\"msg_1\\"}"}';

function refused(text: string): string {
  const r = parseBatchRequest(text);
  assert.equal(r.ok, false, `accepted: ${text.slice(0, 200)}`);
  return (r as { error: string }).error;
}

describe('parseBatchRequest', () => {
  test('accepts 1 and BATCH_MAX_ITEMS hook bodies, in order', () => {
    assert.deepEqual(parseBatchRequest(encodeBatch([HOOK_BODY])), { ok: true, items: [HOOK_BODY] });
    const many = Array.from({ length: BATCH_MAX_ITEMS }, (_, i) => `{"message":"${i}"}`);
    assert.deepEqual(parseBatchRequest(encodeBatch(many)), { ok: true, items: many });
    // Items are opaque strings here: the pipeline judges each (an empty one is its business).
    assert.deepEqual(parseBatchRequest('{"items":["",""]}'), { ok: true, items: ['', ''] });
  });

  test('malformed JSON is refused, never thrown', () => {
    for (const text of ['', ' ', 'not json', '{', '{"items":[', '{"items":["a"]', '{"items":["a"]}}', '\u0000', '{"items":["\\x"]}', 'nul']) {
      assert.equal(refused(text), 'batch body is not JSON');
    }
  });

  test('anything but an object is refused', () => {
    for (const text of ['null', 'true', '1', '"items"', '[]', '[["a"]]', '[{"items":["a"]}]']) {
      assert.equal(refused(text), 'batch body must be an object');
    }
  });

  test('exactly one key, "items": missing, extra or misspelt keys are refused', () => {
    for (const text of [
      '{}',
      '{"item":["a"]}',
      '{"Items":["a"]}',
      '{"items":["a"],"extra":1}',
      '{"extra":1,"items":["a"]}',
      '{"items":["a"],"__proto__":{"x":1}}',
      '{"__proto__":{"items":["a"]}}',
      '{"items ":["a"]}',
    ]) assert.equal(refused(text), 'batch body must have exactly one key, "items"', text);
  });

  test('"items" must be an array of 1 to BATCH_MAX_ITEMS: 0 and BATCH_MAX_ITEMS + 1 are refused', () => {
    const want = `"items" must be an array of 1 to ${BATCH_MAX_ITEMS} hook bodies`;
    assert.equal(refused('{"items":[]}'), want);
    assert.equal(refused(encodeBatch(Array.from({ length: BATCH_MAX_ITEMS + 1 }, () => HOOK_BODY))), want);
    for (const v of ['null', '"a"', '{"0":"a"}', '1', 'true']) assert.equal(refused(`{"items":${v}}`), want, v);
  });

  test('every item must be a string', () => {
    for (const items of ['[1]', '["a",null]', '["a",{"message":"x"}]', '[["a"]]', '["a",true]', '["a","b",2]']) {
      assert.equal(refused(`{"items":${items}}`), 'every item must be a string (a hook body)', items);
    }
  });

  test('a huge number of items is refused by count without looking at them', () => {
    const text = `{"items":[${Array.from({ length: 10_000 }, () => '1').join(',')}]}`;
    assert.match(refused(text), /^"items" must be an array/);
  });
});

describe('parseBatchAnswer', () => {
  const answer = (results: unknown): string => JSON.stringify({ ok: true, results });

  test('reads one result per item, keeping a positive retryAfterMs', () => {
    const got = parseBatchAnswer(answer([
      { status: 202, body: { ok: true, id: 'msg_1' } },
      { status: 429, body: { ok: false, code: 'rate_limited' }, retryAfterMs: 2000 },
      { status: 403 },
    ]), 3);
    assert.deepEqual(got, [
      { status: 202, body: { ok: true, id: 'msg_1' } },
      { status: 429, body: { ok: false, code: 'rate_limited' }, retryAfterMs: 2000 },
      { status: 403, body: null },
    ]);
  });

  test('not one result per item → null (the caller cannot tell which item each belongs to)', () => {
    const one = { status: 202, body: {} };
    assert.equal(parseBatchAnswer(answer([one, one]), 3), null);
    assert.equal(parseBatchAnswer(answer([one, one, one, one]), 3), null);
    assert.equal(parseBatchAnswer(answer([]), 1), null);
    assert.notEqual(parseBatchAnswer(answer([one, one, one]), 3), null);
  });

  test('not an answer at all → null', () => {
    for (const text of ['', 'not json', '<html>502</html>', 'null', '1', '"x"', '[]', '[{"status":202}]', '{}', '{"ok":true}',
      '{"results":null}', '{"results":{"0":{"status":202}}}', '{"results":"202"}']) {
      assert.equal(parseBatchAnswer(text, 1), null, text);
    }
  });

  test('a result that is not an object, or has a bad status → null for the whole answer', () => {
    const good = { status: 202, body: {} };
    for (const bad of [null, 202, 'ok', [202], {}, { status: '202' }, { status: 202.5 }, { status: 99 }, { status: 600 },
      { status: -202 }, { status: 1e3 }, { status: null }, { body: {} }]) {
      assert.equal(parseBatchAnswer(answer([good, bad]), 2), null, JSON.stringify(bad));
    }
  });

  test('a retryAfterMs that is not a positive finite number is dropped, never trusted', () => {
    for (const wait of [0, -1, -2000, '2000', null, true, [2000], { ms: 1 }]) {
      const got = parseBatchAnswer(answer([{ status: 503, body: null, retryAfterMs: wait }]), 1);
      assert.deepEqual(got, [{ status: 503, body: null }], JSON.stringify(wait));
    }
    // JSON has no NaN or Infinity; a number too large for a double reads as Infinity and is dropped too.
    assert.deepEqual(parseBatchAnswer('{"results":[{"status":503,"retryAfterMs":1e400}]}', 1), [{ status: 503, body: null }]);
    assert.equal(parseBatchAnswer('{"results":[{"status":503,"retryAfterMs":NaN}]}', 1), null);
  });
});

describe('encodeBatch', () => {
  /** Item text: any UTF-16 (lone surrogates too), plus the characters JSON must escape, often. */
  const itemText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: fc.constantFrom('"', '\\', '\u0000', '\n', '\u2028', '\u007f', '/', '\ud800', '\udc00', 'é', '😀', 'a'), maxLength: 60 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => JSON.stringify({ message: s })),
  );

  test('parseBatchRequest(encodeBatch(items)) gives back every item exactly, and the size the sender plans with', () => {
    fc.assert(fc.property(fc.array(itemText, { minLength: 1, maxLength: BATCH_MAX_ITEMS }), (items) => {
      const wire = encodeBatch(items);
      const parsed = parseBatchRequest(wire);
      assert.equal(parsed.ok, true);
      const got = (parsed as { items: string[] }).items;
      assert.equal(got.length, items.length);
      for (const [i, item] of items.entries()) {
        assert.ok(got[i] === item, `item ${i} changed`);
        assert.deepEqual(Buffer.from(got[i] as string, 'utf16le'), Buffer.from(item, 'utf16le'));
      }
      // The batcher sizes a batch as the frame plus each item's JSON string form and a comma.
      const planned = BATCH_FRAME_BYTES + items.reduce((n, i) => n + Buffer.byteLength(JSON.stringify(i), 'utf8') + 1, 0) - 1;
      assert.equal(Buffer.byteLength(wire, 'utf8'), planned);
      // The wire is valid UTF-8 (a receiver refuses anything else), even with lone surrogates in an item.
      assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(wire, 'utf8')), wire);
    }), { numRuns: 300, seed: 13 });
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { readLimitedIncoming, readLimitedStream } from './read-limited-body.ts';

function webStream(chunks: string[], pulls: { n: number }): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls.n++;
      const c = chunks[i++];
      if (c === undefined) controller.close();
      else controller.enqueue(Buffer.from(c));
    },
  });
}

describe('readLimitedStream', () => {
  test('reads a body within the limit; the limit itself is allowed', async () => {
    assert.deepEqual(await readLimitedStream(webStream(['ab', 'cd'], { n: 0 }), 4), { ok: true, text: 'abcd' });
    assert.deepEqual(await readLimitedStream(null, 4), { ok: true, text: '' });
  });
  test('stops pulling once past the limit', async () => {
    const pulls = { n: 0 };
    const chunks = Array.from({ length: 1000 }, () => 'x'.repeat(10));
    assert.deepEqual(await readLimitedStream(webStream(chunks, pulls), 25), { ok: false, reason: 'too_large' });
    assert.ok(pulls.n < 10, String(pulls.n));
  });
  test('a multi-byte character split across chunks decodes; invalid UTF-8 does not', async () => {
    const snow = Buffer.from('☃');
    const s = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(snow.subarray(0, 1));
        c.enqueue(snow.subarray(1));
        c.close();
      },
    });
    assert.deepEqual(await readLimitedStream(s, 10), { ok: true, text: '☃' });
    const bad = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([0xc3, 0x28]));
        c.close();
      },
    });
    assert.deepEqual(await readLimitedStream(bad, 10), { ok: false, reason: 'invalid_utf8' });
  });
});

describe('readLimitedIncoming', () => {
  test('reads to the end', async () => {
    const p = new PassThrough();
    const r = readLimitedIncoming(p, 10);
    p.write('hello ');
    p.end('you');
    assert.deepEqual(await r, { ok: true, text: 'hello you' });
  });
  test('answers too_large before the stream ends and stops reading', async () => {
    const p = new PassThrough();
    const r = readLimitedIncoming(p, 5);
    p.write('123');
    p.write('456');
    assert.deepEqual(await r, { ok: false, reason: 'too_large' });
    assert.equal(p.listenerCount('data'), 0);
    assert.equal(p.isPaused(), true);
  });
  test('a stream destroyed mid-body is aborted', async () => {
    const p = new PassThrough();
    const r = readLimitedIncoming(p, 100);
    p.write('12');
    p.destroy();
    assert.deepEqual(await r, { ok: false, reason: 'aborted' });
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { ChunkedWriter } from './chunked-writer.ts';

test('waits for drain: a slow stream never buffers more than one chunk beyond its high-water mark', async () => {
  let received = '';
  let maxBuffered = 0;
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, done) {
      received += chunk.toString();
      setImmediate(done);
    },
  });
  const w = new ChunkedWriter(slow);
  const line = `${'x'.repeat(99)}\n`;
  for (let i = 0; i < 5_000; i++) {
    await w.write(line);
    maxBuffered = Math.max(maxBuffered, slow.writableLength);
  }
  await w.finish();
  await new Promise<void>((r) => slow.end(r));
  assert.equal(received.length, 5_000 * 100);
  assert.ok(maxBuffered <= 64 * 1024 + 100, `buffered ${maxBuffered}`);
});

test('a reader that went away (EPIPE) ends the output quietly; other errors are thrown', async () => {
  const broken = (code: string): Writable => new Writable({
    write(_c, _e, done) {
      done(Object.assign(new Error(code), { code }));
    },
  });
  const quiet = new ChunkedWriter(broken('EPIPE'));
  await quiet.write('x'.repeat(70_000));
  await quiet.finish();
  assert.equal(quiet.closed, true);

  const loud = new ChunkedWriter(broken('ENOSPC'));
  await assert.rejects(async () => {
    await loud.write('x'.repeat(70_000));
    await loud.finish();
  }, /ENOSPC/);
});

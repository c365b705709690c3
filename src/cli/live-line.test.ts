import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { LiveLine } from './live-line.ts';

class Sink extends Writable {
  text = '';
  readonly isTTY: boolean;
  readonly columns: number;
  constructor(isTTY: boolean, columns = 40) {
    super();
    this.isTTY = isTTY;
    this.columns = columns;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

test('not a terminal: one line per change, no clock, no escape codes', () => {
  const s = new Sink(false);
  const l = new LiveLine(s, true);
  l.update('round 1: 0/2 answered');
  l.tick(1500);
  l.update('round 1: 0/2 answered');
  l.update('round 1: 1/2 answered');
  l.done();
  assert.equal(s.text, 'round 1: 0/2 answered\nround 1: 1/2 answered\n');
});

test('a terminal: the line is rewritten in place with the seconds waited, cut to the width, cleared at the end', () => {
  const s = new Sink(true, 30);
  const l = new LiveLine(s, true);
  l.update('round 1: 0/2 answered');
  l.tick(999);
  l.tick(2100);
  l.tick(2900);
  l.update('round 1: 1/2 answered · waiting for gamma');
  l.done();
  assert.deepEqual(s.text.split('\r\x1b[2K').slice(1), [
    'round 1: 0/2 answered',
    'round 1: 0/2 answered · 2s',
    'round 1: 1/2 answered · wait…',
    '',
  ]);
});

test('disabled (--json): nothing at all', () => {
  const s = new Sink(true);
  const l = new LiveLine(s, false);
  l.update('x');
  l.tick(5000);
  l.done();
  assert.equal(s.text, '');
});

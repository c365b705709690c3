import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LiveFrame } from './live-frame.ts';

class Sink extends Writable {
  writes: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.writes.push(chunk.toString());
    done();
  }
}

/** Replays the escapes LiveFrame uses on a screen of lines, to check what the user sees. */
function screen(writes: readonly string[]): string[] {
  const rows: string[] = [];
  let row = 0;
  const text = writes.join('');
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    // eslint-disable-next-line no-control-regex -- the escapes are what this screen model reads
    const csi = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(rest);
    if (csi) {
      const [all, priv, n, cmd] = csi;
      if (priv === '') {
        if (cmd === 'A') row = Math.max(0, row - Number(n || 1));
        if (cmd === 'K') rows[row] = '';
        if (cmd === 'J') rows.length = row;
      }
      i += all.length;
      continue;
    }
    const ch = text[i] as string;
    if (ch === '\n') row++;
    else if (ch !== '\r') rows[row] = (rows[row] ?? '') + ch;
    i++;
  }
  return rows.map((r) => r ?? '');
}

test('on a terminal: only changed lines are rewritten, in place; nothing is written when nothing changed', () => {
  const out = new Sink();
  const f = new LiveFrame({ out, tty: true, rows: () => 40 });
  assert.equal(f.draw(['title', 'a 1', 'b 2']), true);
  assert.deepEqual(screen(out.writes), ['title', 'a 1', 'b 2']);
  assert.equal(f.draw(['title', 'a 1', 'b 2']), false);
  assert.equal(out.writes.length, 1);
  f.draw(['title', 'a 9', 'b 2']);
  const second = out.writes.at(-1) as string;
  assert.ok(second.startsWith('\x1b[3A\r'), 'back to the top of the frame, no screen clear');
  assert.ok(!second.includes('\x1b[2J') && !second.includes('title') && !second.includes('b 2'), 'unchanged lines are not rewritten');
  assert.ok(second.includes('\x1b[2Ka 9'));
  assert.deepEqual(screen(out.writes), ['title', 'a 9', 'b 2']);
});

test('a shorter frame erases the lines below; a longer one grows', () => {
  const out = new Sink();
  const f = new LiveFrame({ out, tty: true, rows: () => 40 });
  f.draw(['1', '2', '3', '4']);
  f.draw(['1', 'x']);
  assert.ok((out.writes.at(-1) as string).endsWith('\x1b[J'));
  assert.deepEqual(screen(out.writes), ['1', 'x']);
  f.draw(['1', 'x', 'y', 'z', 'w']);
  assert.deepEqual(screen(out.writes), ['1', 'x', 'y', 'z', 'w']);
});

test('a frame taller than the terminal is cut to fit; the cursor is hidden while drawing and given back', () => {
  const out = new Sink();
  const f = new LiveFrame({ out, tty: true, rows: () => 5 });
  f.draw(['1', '2', '3', '4', '5', '6', '7']);
  assert.deepEqual(screen(out.writes), ['1', '2', '3', '… 4 more lines (enlarge the terminal)']);
  assert.ok((out.writes[0] as string).startsWith('\x1b[?25l'));
  f.close();
  assert.equal(out.writes.at(-1), '\x1b[?25h');
});

test('not a terminal: each changed frame is printed whole, without escape sequences', () => {
  const out = new Sink();
  const f = new LiveFrame({ out, tty: false });
  f.draw(['a', 'b']);
  f.draw(['a', 'b']);
  f.draw(['a', 'c']);
  f.close();
  assert.equal(out.writes.join(''), 'a\nb\n\na\nc\n');
});

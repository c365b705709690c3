import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeshError } from '../protocol/errors.ts';
import { formatDuration, formatRelative, formatTime, parseLimit, parseTimeArg } from './time-args.ts';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const H = 3_600_000;

test('parseTimeArg: durations back from now, with or without "ago", bare seconds like bash', () => {
  assert.equal(parseTimeArg('48h', NOW, 'since'), NOW - 48 * H);
  assert.equal(parseTimeArg('2d', NOW, 'since'), NOW - 48 * H);
  assert.equal(parseTimeArg('30m', NOW, 'since'), NOW - 30 * 60_000);
  assert.equal(parseTimeArg('2 days ago', NOW, 'since'), NOW - 48 * H);
  assert.equal(parseTimeArg(' 2 days ', NOW, 'since'), NOW - 48 * H);
  assert.equal(parseTimeArg('3600', NOW, 'since'), NOW - H);
});

test('parseTimeArg: ISO times with a zone, and dates/times without one read as UTC', () => {
  assert.equal(parseTimeArg('2026-01-09T10:00:00Z', NOW, 'since'), Date.UTC(2026, 0, 9, 10));
  assert.equal(parseTimeArg('2026-01-09T10:00:00+02:00', NOW, 'since'), Date.UTC(2026, 0, 9, 8));
  assert.equal(parseTimeArg('2026-01-09', NOW, 'since'), Date.UTC(2026, 0, 9));
  assert.equal(parseTimeArg('2026-01-09 10:30', NOW, 'until'), Date.UTC(2026, 0, 9, 10, 30));
});

test('parseTimeArg: anything else is INVALID_ARGUMENT naming the option with an example', () => {
  for (const bad of ['', 'yesterday', '2 fortnights', '2026-02-30', '2026-13-01', '-5m', '10:00']) {
    assert.throws(() => parseTimeArg(bad, NOW, 'until'), (e: unknown) => {
      assert.ok(isMeshError(e));
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.match(e.message, /^--until ".*" is not a time: .* e\.g\. --until 48h$/);
      return true;
    }, bad);
  }
});

test('formatting: fixed-width UTC times, short durations, relative times', () => {
  assert.equal(formatTime(NOW), '2026-01-10 12:00:00Z');
  assert.equal(formatTime(null), '-');
  assert.deepEqual([45_000, 12 * 60_000, 3 * H + 5 * 60_000, 2 * H, 4 * 24 * H + 2 * H].map(formatDuration), ['45s', '12m', '3h 5m', '2h', '4d 2h']);
  assert.equal(formatRelative(NOW + 5_000, NOW), 'in 5s');
  assert.equal(formatRelative(NOW - 3 * 60_000, NOW), '3m ago');
  assert.equal(formatRelative(NOW + 200, NOW), 'now');
});

test('parseLimit: positive integers; 0 means no limit only where allowed', () => {
  assert.equal(parseLimit(undefined, 50), 50);
  assert.equal(parseLimit('7', 50), 7);
  assert.equal(parseLimit('0', 50, true), undefined);
  for (const bad of ['0', '-1', '1.5', 'ten']) assert.throws(() => parseLimit(bad, 50), /--limit/);
});

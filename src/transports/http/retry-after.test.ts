import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryAfter } from './retry-after.ts';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  test('delay-seconds becomes milliseconds', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
  });
  test('HTTP-date is relative to the injected now', () => {
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', now), 30_000);
  });
  test('a date in the past means retry now', () => {
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now), 0);
  });
  test('absent, empty, negative, fractional and garbage values are null', () => {
    for (const v of [null, undefined, '', '-5', '1.5', 'soon', '1e3']) {
      assert.equal(parseRetryAfter(v, now), null, String(v));
    }
  });
});

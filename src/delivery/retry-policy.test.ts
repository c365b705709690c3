import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../protocol/errors.ts';
import { DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_RETRY_POLICY, maxAttempts, nextRetryDelay, validateRetryPolicy } from './retry-policy.ts';

describe('retry policy', () => {
  test('default schedule is 0, 5 s, 15 s, 60 s: four attempts', () => {
    assert.deepEqual(DEFAULT_RETRY_POLICY.delaysMs, [0, 5_000, 15_000, 60_000]);
    assert.equal(maxAttempts(DEFAULT_RETRY_POLICY), 4);
  });

  test('delay after n failed attempts is the delay before attempt n + 1; null when exhausted', () => {
    const p = DEFAULT_RETRY_POLICY;
    assert.equal(nextRetryDelay(p, 0), 0);
    assert.equal(nextRetryDelay(p, 1), 5_000);
    assert.equal(nextRetryDelay(p, 2), 15_000);
    assert.equal(nextRetryDelay(p, 3), 60_000);
    assert.equal(nextRetryDelay(p, 4), null);
    assert.equal(nextRetryDelay(p, 9), null);
  });

  test('Retry-After wins only when longer than the schedule, and is capped', () => {
    const p = DEFAULT_RETRY_POLICY;
    assert.equal(nextRetryDelay(p, 1, 2_000), 5_000);
    assert.equal(nextRetryDelay(p, 1, 20_000), 20_000);
    assert.equal(nextRetryDelay(p, 1, 10 * DEFAULT_MAX_RETRY_AFTER_MS), DEFAULT_MAX_RETRY_AFTER_MS);
    assert.equal(nextRetryDelay(p, 1, 90_000, 30_000), 30_000);
    assert.equal(nextRetryDelay(p, 1, 0), 5_000);
    assert.equal(nextRetryDelay(p, 1, Number.NaN), 5_000);
    // Never adds an attempt.
    assert.equal(nextRetryDelay(p, 4, 20_000), null);
  });

  test('custom schedules; a single-entry schedule means no retry', () => {
    const noRetry = validateRetryPolicy({ delaysMs: [0] });
    assert.equal(maxAttempts(noRetry), 1);
    assert.equal(nextRetryDelay(noRetry, 1), null);
    assert.equal(nextRetryDelay(validateRetryPolicy({ delaysMs: [0, 1, 2] }), 2), 2);
  });

  test('invalid schedules are refused with INVALID_ARGUMENT', () => {
    for (const delaysMs of [[], [0, -1], [0, Number.POSITIVE_INFINITY], [Number.NaN]]) {
      assert.throws(() => validateRetryPolicy({ delaysMs }), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT');
    }
  });
});

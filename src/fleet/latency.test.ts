import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSample, latencyStats, median, percentile } from './latency.ts';

test('samples keep the newest N, oldest first, rounded to 0.1 ms', () => {
  let s: number[] = [];
  for (const ms of [5, 1.234, 7, 9, 11]) s = addSample(s, ms, 3);
  assert.deepEqual(s, [7, 9, 11]);
  assert.deepEqual(addSample([], 1.26, 3), [1.3]);
  assert.deepEqual(addSample([], -4, 3), [0]);
});

test('median: middle sample, or the mean of the two middle ones', () => {
  assert.equal(median([]), null);
  assert.equal(median([4]), 4);
  assert.equal(median([9, 1, 5]), 5);
  assert.equal(median([10, 2, 4, 8]), 6);
});

test('p95 by nearest rank is always a measured sample', () => {
  assert.equal(percentile([], 95), null);
  assert.equal(percentile([3], 95), 3);
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(percentile(twenty, 95), 19);
  assert.equal(percentile(twenty, 100), 20);
  assert.equal(percentile(twenty, 50), 10);
  // One slow probe among ten moves the p95, not the median.
  const spiky = [2, 2, 2, 2, 2, 2, 2, 2, 2, 500];
  assert.deepEqual(latencyStats(spiky), { medianMs: 2, p95Ms: 500, samples: 10 });
  assert.throws(() => percentile([1], 0), RangeError);
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../testing/manual-clock.ts';
import { createRateLimiter } from './token-bucket.ts';

describe('token bucket rate limiter', () => {
  test('allows the burst, then refuses with the time to the next token', () => {
    const clock = new ManualClock();
    const rl = createRateLimiter({ clock, ratePerSecond: 20, burst: 5 });
    for (let i = 0; i < 5; i++) assert.deepEqual(rl.take('a'), { ok: true });
    assert.deepEqual(rl.take('a'), { ok: false, retryAfterMs: 50 });
    clock.advance(50);
    assert.deepEqual(rl.take('a'), { ok: true });
    assert.equal(rl.take('a').ok, false);
  });

  test('keys are independent', () => {
    const clock = new ManualClock();
    const rl = createRateLimiter({ clock, ratePerSecond: 1, burst: 1 });
    assert.equal(rl.take('a').ok, true);
    assert.equal(rl.take('a').ok, false);
    assert.equal(rl.take('b').ok, true);
  });

  test('refill never exceeds the burst, and a clock stepping back mints nothing', () => {
    const clock = new ManualClock();
    const rl = createRateLimiter({ clock, ratePerSecond: 10, burst: 2 });
    clock.advance(3_600_000);
    assert.equal(rl.take('a').ok, true);
    assert.equal(rl.take('a').ok, true);
    assert.equal(rl.take('a').ok, false);
    clock.advance(-10_000);
    assert.equal(rl.take('a').ok, false);
  });

  test('bounded number of keys', () => {
    const clock = new ManualClock();
    const rl = createRateLimiter({ clock, ratePerSecond: 1, burst: 1, maxKeys: 4 });
    for (let i = 0; i < 50; i++) rl.take(`k${i}`);
    // k49 is still tracked (its bucket is empty); k0 was evicted and starts full again.
    assert.equal(rl.take('k49').ok, false);
    assert.equal(rl.take('k0').ok, true);
  });

  test('rejects nonsense settings', () => {
    const clock = new ManualClock();
    assert.throws(() => createRateLimiter({ clock, ratePerSecond: 0, burst: 1 }), { code: 'CONFIG_INVALID' });
    assert.throws(() => createRateLimiter({ clock, ratePerSecond: 1, burst: 0 }), { code: 'CONFIG_INVALID' });
  });
});

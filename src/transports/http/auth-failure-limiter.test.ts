import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../testing/manual-clock.ts';
import { createAuthFailureLimiter } from './auth-failure-limiter.ts';

describe('auth failure limiter', () => {
  test('the 20th failure within the window starts a 60 s lockout', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock });
    for (let i = 1; i < 20; i++) {
      assert.equal(l.fail('c'), false, `failure ${i}`);
      assert.equal(l.lockedFor('c'), 0);
    }
    assert.equal(l.fail('c'), true);
    assert.equal(l.lockedFor('c'), 60_000);
    clock.advance(59_000);
    assert.equal(l.lockedFor('c'), 1_000);
    clock.advance(1_000);
    assert.equal(l.lockedFor('c'), 0);
  });

  test('failures spread over more than the window never lock', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock, maxFailures: 3, windowMs: 1_000 });
    l.fail('c');
    l.fail('c');
    clock.advance(1_000);
    assert.equal(l.fail('c'), false);
    assert.equal(l.lockedFor('c'), 0);
  });

  test('clients are independent', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock, maxFailures: 2 });
    l.fail('a');
    l.fail('a');
    assert.ok(l.lockedFor('a') > 0);
    assert.equal(l.lockedFor('b'), 0);
  });

  test('the window slides: failures age out one by one, not all at a window boundary', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock, maxFailures: 3, windowMs: 1_000 });
    l.fail('c'); // t=0
    clock.advance(600);
    l.fail('c'); // t=600
    clock.advance(500);
    // t=1100: the first failure has aged out, the second has not: 2 in the window, no lockout.
    assert.equal(l.fail('c'), false);
    clock.advance(100);
    // t=1200: failures at 600, 1100, 1200 are all within 1 s: lockout.
    assert.equal(l.fail('c'), true);
    assert.ok(l.lockedFor('c') > 0);
  });

  test('a burst straddling a fixed-window boundary still locks', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock, maxFailures: 4, windowMs: 1_000 });
    clock.advance(900);
    l.fail('c');
    l.fail('c');
    clock.advance(200);
    l.fail('c');
    assert.equal(l.fail('c'), true, '4 failures within 200 ms');
  });

  test('a lockout starts the count afresh; failures during it are not counted', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock, maxFailures: 2, windowMs: 60_000, lockoutMs: 10_000 });
    l.fail('c');
    assert.equal(l.fail('c'), true);
    for (let i = 0; i < 5; i++) assert.equal(l.fail('c'), false);
    clock.advance(10_000);
    assert.equal(l.lockedFor('c'), 0);
    assert.equal(l.fail('c'), false, 'one failure after the lockout is one failure');
    assert.equal(l.fail('c'), true);
  });

  test('memory stays bounded', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock, maxClients: 10, maxFailures: 1 });
    for (let i = 0; i < 100; i++) l.fail(`c${i}`);
    // The most recent clients are still tracked, the oldest were dropped.
    assert.ok(l.lockedFor('c99') > 0);
    assert.equal(l.lockedFor('c0'), 0);
  });
});

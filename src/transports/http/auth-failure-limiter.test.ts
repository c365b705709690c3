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

  test('clients are independent and success clears the record', () => {
    const clock = new ManualClock();
    const l = createAuthFailureLimiter({ clock, maxFailures: 2 });
    l.fail('a');
    l.fail('a');
    assert.ok(l.lockedFor('a') > 0);
    assert.equal(l.lockedFor('b'), 0);
    l.succeed('a');
    assert.equal(l.lockedFor('a'), 0);
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

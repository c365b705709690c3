import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WireCode } from '../protocol/wire-codes.ts';
import { acceptanceDeadline, assessFreshness, type FreshnessPolicy } from './freshness.ts';
import { T0 } from './test-fixtures.ts';

const HOUR = 3_600_000;
const POLICY: FreshnessPolicy = { replayWindowMs: 300_000, futureSkewMs: 60_000, maxMessageAgeMs: 24 * HOUR };
const STAMP = new Date(T0).toISOString();
const NONCE = '0123456789abcdef0123456789abcdef';

const at = (nowMs: number, ttl: number, nonce: string | null = NONCE, timestamp = STAMP) =>
  assessFreshness({ timestamp, ttl, nonce }, nowMs, POLICY);

describe('freshness: acceptance period', () => {
  test('default TTL: the replay window bounds it, to the millisecond', () => {
    assert.deepEqual(at(T0 + 300_000, 300), { fresh: true, timestampMs: T0, acceptUntilMs: T0 + 300_001 });
    assert.deepEqual(at(T0 + 300_001, 300), { fresh: false, code: WireCode.Expired, reason: 'timestamp is older than the replay window' });
  });

  test('a TTL longer than the window, with a nonce: accepted until the TTL, in whole seconds', () => {
    assert.equal(at(T0 + HOUR, 7200).fresh, true);
    // bash's rule: ts_epoch + ttl < now_epoch. The last accepted instant is the end of second ts+ttl.
    assert.deepEqual(at(T0 + 7_200_999, 7200), { fresh: true, timestampMs: T0, acceptUntilMs: T0 + 7_201_000 });
    assert.deepEqual(at(T0 + 7_201_000, 7200), { fresh: false, code: WireCode.Expired, reason: 'ttl has elapsed' });
  });

  test('a TTL longer than the window without a nonce keeps the window', () => {
    assert.deepEqual(at(T0 + 300_001, 7200, null), { fresh: false, code: WireCode.Expired, reason: 'timestamp is older than the replay window' });
  });

  test('a TTL shorter than the window ends first', () => {
    assert.equal(at(T0 + 5_999, 5).fresh, true);
    assert.deepEqual(at(T0 + 6_000, 5), { fresh: false, code: WireCode.Expired, reason: 'ttl has elapsed' });
    assert.equal(at(T0 + 999, 0).fresh, true);
    assert.equal(at(T0 + 1_000, 0).fresh, false);
  });

  test('one second over the window is enough to follow the TTL', () => {
    assert.equal(at(T0 + 300_900, 301).fresh, true);
    assert.equal(at(T0 + 301_000, 301).fresh, true);
    assert.equal(at(T0 + 302_000, 301).fresh, false);
  });

  test('the maximum age caps any TTL', () => {
    const year = 31_536_000;
    assert.equal(at(T0 + 24 * HOUR, year).fresh, true);
    assert.deepEqual(at(T0 + 24 * HOUR + 1, year), { fresh: false, code: WireCode.Expired, reason: 'timestamp is older than the maximum message age' });
    // It caps the window too when set below it.
    const tight = { ...POLICY, maxMessageAgeMs: 1_000 };
    assert.equal(assessFreshness({ timestamp: STAMP, ttl: 300, nonce: null }, T0 + 1_001, tight).fresh, false);
  });

  test('the future skew is unchanged and measured from now', () => {
    const ahead = new Date(T0 + 60_001).toISOString();
    assert.deepEqual(at(T0, 7200, NONCE, ahead), { fresh: false, code: WireCode.FutureTimestamp, reason: 'timestamp is too far in the future' });
    assert.equal(at(T0 + 1, 7200, NONCE, ahead).fresh, true);
  });

  test('an unreadable timestamp is malformed', () => {
    for (const timestamp of ['yesterday', '', '2026-01-01 00:00:00']) {
      const r = at(T0, 300, NONCE, timestamp);
      assert.equal(r.fresh ? 'fresh' : r.code, WireCode.MalformedEnvelope);
    }
  });

  test('a sub-second stamp: window to the millisecond, TTL to the whole second', () => {
    const ts = T0 + 500;
    assert.deepEqual(acceptanceDeadline(ts, 300, true, POLICY), { untilMs: ts + 300_001, reason: 'timestamp is older than the replay window' });
    assert.deepEqual(acceptanceDeadline(ts, 3600, true, POLICY), { untilMs: T0 + 3_601_000, reason: 'ttl has elapsed' });
  });
});

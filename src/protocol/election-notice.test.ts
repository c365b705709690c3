import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareElections, electionMetadata, electionNoticeOf, type ElectionNotice } from './election-notice.ts';
import type { JsonValue } from './json.ts';

const AT = Date.parse('2026-01-01T00:00:00.000Z');
const notice: ElectionNotice = { epoch: 3, hub: 'hub', relay: 'gamma', electedBy: 'alpha', at: AT };

test('the metadata shape round-trips and is documented key order', () => {
  const m = electionMetadata(notice);
  assert.equal(JSON.stringify(m), '{"meshElection":{"v":1,"epoch":3,"hub":"hub","relay":"gamma","electedBy":"alpha","at":"2026-01-01T00:00:00.000Z"}}');
  assert.deepEqual(electionNoticeOf(JSON.parse(JSON.stringify(m)) as JsonValue), notice);
  assert.deepEqual(electionNoticeOf(electionMetadata({ ...notice, relay: null, hub: null })), { ...notice, relay: null, hub: null });
});

test('ordinary metadata is not a notice; a broken notice is malformed, never half-read', () => {
  assert.equal(electionNoticeOf({}), null);
  assert.equal(electionNoticeOf(null), null);
  assert.equal(electionNoticeOf(undefined), null);
  const base = (electionMetadata(notice) as { meshElection: Record<string, JsonValue> }).meshElection;
  const bad: Record<string, JsonValue>[] = [
    { ...base, v: 2 }, { ...base, epoch: 0 }, { ...base, epoch: 1.5 }, { ...base, epoch: '3' }, { ...base, epoch: 2 ** 60 },
    { ...base, hub: 'no such name!' }, { ...base, relay: 5 }, { ...base, electedBy: null }, { ...base, at: 'yesterday' },
    { ...base, at: 'x'.repeat(100) },
  ];
  for (const b of bad) assert.equal(electionNoticeOf({ meshElection: b }), 'malformed', JSON.stringify(b));
  assert.equal(electionNoticeOf({ meshElection: 'epoch 3' }), 'malformed');
});

test('higher epoch wins; at equal epochs the first electedBy name wins; the order is total', () => {
  const n = (epoch: number, electedBy: string, relay: string | null = 'r') => ({ epoch, electedBy, relay });
  assert.ok(compareElections(n(4, 'zed'), n(3, 'alpha')) > 0);
  assert.ok(compareElections(n(3, 'alpha'), n(3, 'beta')) > 0);
  assert.ok(compareElections(n(3, 'beta'), n(3, 'alpha')) < 0);
  assert.equal(compareElections(n(3, 'alpha'), n(3, 'alpha')), 0);
  assert.ok(compareElections(n(3, 'alpha', null), n(3, 'alpha', 'r')) > 0);
  assert.ok(compareElections(n(3, 'alpha', 'a'), n(3, 'alpha', 'b')) > 0);
  // Antisymmetric over a small set: every pair is ordered one way only.
  const all = [n(1, 'a'), n(2, 'a'), n(2, 'b'), n(2, 'b', null), n(2, 'b', 'q')];
  for (const x of all) for (const y of all) assert.equal(Math.sign(compareElections(x, y)) + Math.sign(compareElections(y, x)), 0);
});

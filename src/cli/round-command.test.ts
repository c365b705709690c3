import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundExitCode } from './round-command.ts';

type Status = 'delivered' | 'queued' | 'dead_lettered' | 'expired' | 'failed';
const t = (...statuses: Status[]): { agent: string; requestId: string; status: Status }[] =>
  statuses.map((status, i) => ({ agent: `a${i}`, requestId: `msg_${i}`, status }));

test('without --wait: as mesh send, the worst delivery wins', () => {
  assert.equal(roundExitCode(t('delivered', 'delivered'), null), 0);
  assert.equal(roundExitCode(t('delivered', 'queued'), null), 10);
  assert.equal(roundExitCode(t('queued', 'expired'), null), 12);
  assert.equal(roundExitCode(t('expired', 'dead_lettered'), null), 11);
  assert.equal(roundExitCode(t('dead_lettered', 'failed'), null), 1);
});

test('with --wait: 0 when the round completed, 13 otherwise; an unreachable agent is still reported', () => {
  assert.equal(roundExitCode(t('delivered', 'queued'), 'complete'), 0, 'a queued request that got its answer is fine');
  assert.equal(roundExitCode(t('delivered', 'dead_lettered'), 'complete'), 11);
  for (const end of ['timeout', 'wait_expired', 'interrupted', 'superseded', 'closed'] as const) {
    assert.equal(roundExitCode(t('delivered', 'dead_lettered'), end), 13, end);
  }
  assert.equal(roundExitCode(t('dead_lettered', 'expired'), 'timeout'), 11, 'nobody could be asked: the delivery failure, not a time-out');
  assert.equal(roundExitCode(t('failed'), 'timeout'), 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ElectionNotice } from '../protocol/election-notice.ts';
import { judgeAnnouncement, type AnnouncementContext } from './follow.ts';
import { EMPTY_ROUTING, type RoutingState } from './routing-state.ts';

const T = 1_700_000_000_000;
const ctx = (over: Partial<AnnouncementContext> = {}): AnnouncementContext =>
  ({ self: 'delta', hub: 'hub', from: 'beta', auth: 'hmac', knows: (n) => ['alpha', 'beta', 'gamma', 'hub'].includes(n), ...over });
const notice = (epoch: number, electedBy = 'beta', relay: string | null = 'gamma'): ElectionNotice => ({ epoch, hub: 'hub', relay, electedBy, at: T - 5 });

function fold(state: RoutingState, ns: ElectionNotice[]): RoutingState {
  let s = state;
  for (const n of ns) s = judgeAnnouncement(s, n, ctx({ from: n.electedBy }), T).state;
  return s;
}

test('the first verified announcement is followed', () => {
  const j = judgeAnnouncement({ ...EMPTY_ROUTING }, notice(1), ctx(), T);
  assert.equal(j.follow, true);
  assert.deepEqual(j.state, { epoch: 1, hub: 'hub', relay: 'gamma', electedBy: 'beta', electedAt: T - 5, followedAt: T, maxEpochSeen: 1 });
});

test('a stale epoch is ignored, but still counts towards the highest epoch seen', () => {
  const at5 = fold({ ...EMPTY_ROUTING }, [notice(5)]);
  const j = judgeAnnouncement(at5, notice(3, 'alpha', 'alpha'), ctx({ from: 'alpha' }), T);
  assert.deepEqual([j.follow, j.follow ? null : j.reason], [false, 'stale']);
  assert.equal(j.state.relay, 'gamma');
  const same = judgeAnnouncement(at5, notice(5), ctx(), T);
  assert.deepEqual([same.follow, same.follow ? null : same.reason], [false, 'same']);
});

test('equal epochs: the first electedBy name wins, in whatever order they arrive (no split brain)', () => {
  const a = notice(2, 'alpha', 'alpha');
  const b = notice(2, 'beta', 'gamma');
  const c = notice(2, 'carol', 'beta');
  const orders = [[a, b, c], [c, b, a], [b, c, a], [c, a, b]];
  for (const o of orders) {
    const s = fold({ ...EMPTY_ROUTING }, o);
    assert.deepEqual([s.epoch, s.electedBy, s.relay], [2, 'alpha', 'alpha'], o.map((n) => n.electedBy).join(','));
  }
  // A later epoch beats them all.
  assert.equal(fold({ ...EMPTY_ROUTING }, [a, notice(3, 'zed', null)]).relay, null);
});

test('unsigned, forged elector, other hub and unknown relays are not followed', () => {
  const why = (n: ElectionNotice, c: AnnouncementContext): string | null => {
    const j = judgeAnnouncement({ ...EMPTY_ROUTING }, n, c, T);
    return j.follow ? null : j.reason;
  };
  assert.equal(why(notice(1), ctx({ auth: 'none' })), 'unsigned');
  assert.equal(why(notice(1, 'alpha'), ctx({ from: 'beta' })), 'not_elector');
  assert.equal(why({ ...notice(1), hub: 'other' }, ctx()), 'other_hub');
  assert.equal(why(notice(1, 'beta', 'mallory'), ctx()), 'unknown_relay');
  assert.equal(why(notice(1, 'beta', 'delta'), ctx()), null, 'this node may be named relay');
  assert.equal(why(notice(1, 'beta', null), ctx({ auth: 'ed25519' })), null);
});

/**
 * The de-duplication rules (docs/alert-dedup.md) with a manual clock: each rule, the steady stream
 * bash kept suppressed forever, recoveries, quiet incidents, unique ids, and what is recorded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMeshError } from '../protocol/errors.ts';
import { alertDedupHarness, MINUTE_MS } from '../testing/alert-dedup-harness.ts';
import { DEFAULT_DEDUP_WINDOW_MS, DEFAULT_INCIDENT_QUIET_RESOLVE_MS } from './alert-dedup-deps.ts';
import { INCIDENT_ID_RE } from './incident-id.ts';

const DOWN = 'HTTP probe of 10.0.0.5:18789 failed';
const UP = 'gateway on 10.0.0.5 recovered';

describe('alert de-duplication', () => {
  test('the first alert is new and opens an incident for <host>/<check>', () => {
    const h = alertDedupHarness();
    const r = h.service.dedup({ text: DOWN });
    assert.equal(r.decision, 'new');
    assert.deepEqual([r.host, r.check, r.recovery], ['beta', 'gateway', false]);
    const i = r.incident;
    assert.ok(i !== null);
    assert.match(i.id, INCIDENT_ID_RE);
    assert.ok(i.id.startsWith('inc_20260101_beta_gateway_'), i.id);
    assert.deepEqual(
      { ...i, id: 'x' },
      {
        id: 'x', dedupKey: 'beta/gateway', type: 'service_alert', scope: 'beta/gateway', host: 'beta', check: 'gateway',
        summary: DOWN, status: 'active', firstSeen: h.clock.now(), lastSeen: h.clock.now(), alertCount: 1,
        affectedHosts: ['beta'], escalated: false, lastNotifiedAt: h.clock.now(), windowCount: 1, notifications: 1,
        resolvedAt: null, resolvedBy: null,
      },
    );
    assert.deepEqual(h.store.incidents.get(i.id), i);
    assert.deepEqual(h.events, [{ type: 'incident.opened', incidentId: i.id, host: 'beta', check: 'gateway' }]);
    assert.deepEqual(h.audit.map((a) => [a.status, a.id, a.direction]), [['incident_opened', i.id, 'local']]);
  });

  test('repeats within the window are suppressed; the third occurrence escalates; the 4th and 5th are suppressed', () => {
    const h = alertDedupHarness();
    const seen: string[] = [];
    for (let n = 0; n < 5; n++) {
      seen.push(h.word(DOWN));
      h.clock.advance(5 * MINUTE_MS);
    }
    assert.deepEqual(seen, ['new', 'suppressed', 'escalate', 'suppressed', 'suppressed']);
    const [i] = h.service.list();
    assert.ok(i !== undefined);
    assert.deepEqual([i.alertCount, i.escalated, i.notifications, i.windowCount], [5, true, 2, 3]);
    assert.equal(i.lastNotifiedAt, i.firstSeen + 10 * MINUTE_MS, 'the escalation started the current window');
    assert.deepEqual(h.events.map((e) => (e.type === 'incident.updated' ? e.decision : e.type)),
      ['incident.opened', 'suppressed', 'escalate', 'suppressed', 'suppressed']);
    assert.deepEqual(h.audit.map((a) => a.status), ['incident_opened', 'incident_escalated'], 'suppressed alerts are not audited');
  });

  test('after an escalation, alerts stay suppressed until its window ends; then each window\'s first alert escalates again', () => {
    const h = alertDedupHarness();
    const at = (min: number): string => {
      h.clock.set(Date.UTC(2026, 0, 1) + min * MINUTE_MS);
      return h.word(DOWN);
    };
    assert.deepEqual([at(0), at(1), at(2)], ['new', 'suppressed', 'escalate']);
    assert.equal(at(31), 'suppressed', '29 minutes after the escalation');
    assert.equal(at(32), 'escalate', '30 minutes after the escalation: a reminder');
    assert.equal(at(33), 'suppressed');
    assert.equal(at(34), 'suppressed', 'an escalated incident does not escalate twice in a window');
  });

  test('a steady stream every 10 minutes for 3 hours notifies once per window instead of staying suppressed', () => {
    const h = alertDedupHarness();
    const decisions: [number, string][] = [];
    for (let min = 0; min <= 180; min += 10) {
      h.clock.set(Date.UTC(2026, 0, 1) + min * MINUTE_MS);
      decisions.push([min, h.word('RAG service on 10.0.0.6:8900 timing out')]);
    }
    const notified = decisions.filter(([, d]) => d !== 'suppressed');
    assert.deepEqual(notified, [[0, 'new'], [20, 'escalate'], [50, 'escalate'], [80, 'escalate'], [110, 'escalate'], [140, 'escalate'], [170, 'escalate']]);
    assert.equal(decisions.length, 19);
    const [i] = h.service.list();
    assert.deepEqual([i?.host, i?.check, i?.alertCount, i?.notifications], ['gamma', 'rag', 19, 7]);
  });

  test('alerts further apart than the window each notify as new, in the same incident, and never escalate', () => {
    const h = alertDedupHarness();
    const seen: string[] = [];
    for (let n = 0; n < 4; n++) {
      seen.push(h.word(DOWN));
      h.clock.advance(40 * MINUTE_MS);
    }
    assert.deepEqual(seen, ['new', 'new', 'new', 'new']);
    const all = h.service.list({ all: true });
    assert.equal(all.length, 1);
    assert.deepEqual([all[0]?.alertCount, all[0]?.notifications, all[0]?.escalated], [4, 4, false]);
  });

  test('the window ends exactly windowMs after the notification', () => {
    const h = alertDedupHarness();
    const t0 = h.clock.now();
    h.word(DOWN);
    h.clock.set(t0 + DEFAULT_DEDUP_WINDOW_MS - 1);
    assert.equal(h.word(DOWN), 'suppressed');
    h.clock.set(t0 + DEFAULT_DEDUP_WINDOW_MS);
    assert.equal(h.word(DOWN), 'new', 'windowCount restarted: the 2nd alert of the new window');
    h.clock.advance(1);
    assert.equal(h.word(DOWN), 'suppressed');
    assert.equal(h.word(DOWN), 'escalate', 'third in the new window');
  });

  test('escalateAt is configurable', () => {
    const h = alertDedupHarness({ escalateAt: 2 });
    assert.deepEqual([h.word(DOWN), h.word(DOWN), h.word(DOWN)], ['new', 'escalate', 'suppressed']);
  });

  test('an alert stamped before the window started (clocks of two processes) counts inside it', () => {
    const h = alertDedupHarness();
    const t0 = h.clock.now();
    h.word(DOWN);
    const r = h.service.dedup({ text: DOWN, at: t0 - 5_000 });
    assert.equal(r.decision, 'suppressed');
    assert.equal(r.incident?.lastSeen, t0, 'lastSeen never goes back');
  });

  test('a recovery text resolves the active incident; the next alert opens a new incident with a new id', () => {
    const h = alertDedupHarness();
    const first = h.service.dedup({ text: DOWN }).incident;
    h.clock.advance(MINUTE_MS);
    h.word(DOWN);
    h.clock.advance(MINUTE_MS);
    const rec = h.service.dedup({ text: UP });
    assert.equal(rec.decision, 'recovery');
    assert.equal(rec.recovery, true);
    assert.equal(rec.incident?.id, first?.id);
    assert.deepEqual([rec.incident?.status, rec.incident?.resolvedBy, rec.incident?.resolvedAt, rec.incident?.alertCount],
      ['resolved', 'recovery', h.clock.now(), 3]);
    assert.deepEqual(h.events.at(-1), { type: 'incident.resolved', incidentId: first?.id, host: 'beta', check: 'gateway', by: 'recovery', alertCount: 3 });
    assert.equal(h.service.list().length, 0, 'no active incident left');

    h.clock.advance(MINUTE_MS);
    const again = h.service.dedup({ text: DOWN });
    assert.equal(again.decision, 'new');
    assert.notEqual(again.incident?.id, first?.id, 'the same key on the same day gets a new id (bash reused it)');
    assert.equal(again.incident?.id.slice(0, -8), first?.id.slice(0, -8), 'same inc_<day>_<host>_<check>_ prefix');
    assert.equal(h.service.list({ all: true }).length, 2);
  });

  test('a recovery with no active incident is suppressed and changes nothing', () => {
    const h = alertDedupHarness();
    const r = h.service.dedup({ text: 'gateway on 10.0.0.5 is back online' });
    assert.deepEqual([r.decision, r.recovery, r.incident], ['suppressed', true, null]);
    h.word('disk full on 10.0.0.6', { check: 'disk' });
    assert.equal(h.word('RESOLVED: 10.0.0.5 gateway'), 'suppressed', 'another key\'s incident is not this one');
    assert.equal(h.service.list().length, 1);
    assert.deepEqual(h.events.map((e) => e.type), ['incident.opened']);
  });

  test('different hosts and checks are different incidents', () => {
    const h = alertDedupHarness();
    assert.deepEqual([h.word(DOWN), h.word('HTTP probe of 10.0.0.6:18789 failed'), h.word('whisper on 10.0.0.5 slow')], ['new', 'new', 'new']);
    assert.deepEqual(h.service.list().map((i) => i.dedupKey).sort(), ['beta/gateway', 'beta/whisper', 'gamma/gateway']);
  });

  test('an incident silent for quietResolveMs is resolved quiet: the next alert is new, a late recovery is suppressed', () => {
    const h = alertDedupHarness();
    const t0 = h.clock.now();
    const old = h.service.dedup({ text: DOWN }).incident;
    h.clock.set(t0 + DEFAULT_INCIDENT_QUIET_RESOLVE_MS);
    const r = h.service.dedup({ text: DOWN });
    assert.equal(r.decision, 'new');
    assert.notEqual(r.incident?.id, old?.id);
    assert.deepEqual([r.quietResolved?.id, r.quietResolved?.resolvedBy, r.quietResolved?.resolvedAt],
      [old?.id, 'quiet', t0 + DEFAULT_INCIDENT_QUIET_RESOLVE_MS]);
    assert.equal(h.store.incidents.get(old?.id ?? '')?.status, 'resolved');

    h.clock.advance(DEFAULT_INCIDENT_QUIET_RESOLVE_MS + 1);
    assert.equal(h.word(UP), 'suppressed');
    assert.equal(h.service.list().length, 0);
  });

  test('housekeeping resolves silent incidents and prunes resolved ones past retention, never active ones', () => {
    const h = alertDedupHarness();
    const t0 = h.clock.now();
    h.word(DOWN);
    h.word('rag down on 10.0.0.6');
    h.word('rag on 10.0.0.6 recovered');
    h.clock.set(t0 + 3 * 86_400_000);
    h.word('tts down on 10.0.0.6');
    const now = t0 + DEFAULT_INCIDENT_QUIET_RESOLVE_MS + 86_400_000;
    const report = h.service.housekeeping(now, t0 + 1);
    assert.deepEqual(report, { quiet: 1, pruned: 1 });
    assert.deepEqual(h.service.list({ all: true }).map((i) => [i.dedupKey, i.status, i.resolvedBy]),
      [['beta/gateway', 'resolved', 'quiet'], ['gamma/tts', 'active', null]]);
    assert.deepEqual(h.service.housekeeping(now, now), { quiet: 0, pruned: 1 });
    assert.deepEqual(h.service.list({ all: true }).map((i) => i.dedupKey), ['gamma/tts']);
  });

  test('an operator resolves an incident by id; again changes nothing; an unknown id is NOT_FOUND', () => {
    const h = alertDedupHarness();
    const i = h.service.dedup({ text: DOWN }).incident;
    assert.ok(i !== null);
    h.clock.advance(MINUTE_MS);
    const r = h.service.resolve(i.id);
    assert.deepEqual([r.changed, r.incident.status, r.incident.resolvedBy, r.incident.resolvedAt], [true, 'resolved', 'operator', h.clock.now()]);
    assert.equal(h.service.resolve(i.id).changed, false);
    assert.throws(() => h.service.resolve('inc_nope'), (e) => isMeshError(e) && e.code === 'NOT_FOUND');
    assert.equal(h.word(DOWN), 'new');
    assert.equal(h.audit.filter((a) => a.status === 'incident_resolved').length, 1);
  });
});

describe('host and check of an alert', () => {
  test('the first IPv4 address in the text names the registry agent there (this node included), else itself', () => {
    const h = alertDedupHarness();
    const hostOf = (text: string, fallbackHost?: string): string =>
      h.service.dedup({ text, check: 'x', ...(fallbackHost === undefined ? {} : { fallbackHost }) }).host;
    assert.equal(hostOf('10.0.0.5 down'), 'beta', 'beta and delta share the address: the first in the registry wins');
    assert.equal(hostOf('disk full on 10.0.0.1'), 'alpha');
    assert.equal(hostOf('10.0.0.6:18790 and 10.0.0.5'), 'gamma', 'the first address counts');
    assert.equal(hostOf('192.168.7.9 unreachable'), '192.168.7.9');
    assert.equal(hostOf('no address here'), 'unknown');
    assert.equal(hostOf('no address here', 'beta'), 'beta', 'the fallback (the sender of an alert message)');
    assert.equal(hostOf('version 1.2.3.4.5 released'), 'unknown', 'a dotted version is not an address');
  });

  test('--host and --check win over inference and are validated', () => {
    const h = alertDedupHarness();
    const r = h.service.dedup({ text: DOWN, host: 'web-01.example.com', check: 'http_probe' });
    assert.deepEqual([r.host, r.check, r.incident?.dedupKey], ['web-01.example.com', 'http_probe', 'web-01.example.com/http_probe']);
    for (const bad of ['', '../etc', 'a b', 'x/y', '-rf', 'é', 'a'.repeat(65)]) {
      assert.throws(() => h.service.dedup({ text: DOWN, host: bad }), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT', bad);
      assert.throws(() => h.service.dedup({ text: DOWN, check: bad }), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT', bad);
    }
    assert.equal(h.service.list({ all: true }).length, 1);
  });

  test('the key is unambiguous: host a_b with check c is not host a with check b_c', () => {
    const h = alertDedupHarness();
    assert.equal(h.word('x', { host: 'a_b', check: 'c' }), 'new');
    assert.equal(h.word('x', { host: 'a', check: 'b_c' }), 'new');
  });
});

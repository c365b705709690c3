/**
 * Properties over the input space:
 *  - inference never throws on any text (lone surrogates, control characters, huge texts) and always
 *    gives a usable key: a known check, a host valid as a key part;
 *  - a keyword inside a longer word of letters and digits never selects its check;
 *  - on any stream of alerts and recoveries for one key, with any gaps: a suppressed alert is always
 *    inside the window of the last notification (never suppressed forever); two notifications closer
 *    than the window are the incident's one escalation; an escalated incident never goes back to
 *    `new`; the escalateAt-th alert of a window escalates; a recovery notifies only when there was an
 *    incident to resolve.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { alertDedupHarness, MINUTE_MS } from '../testing/alert-dedup-harness.ts';
import { ALERT_KEY_PART_RE, alertSummary, INFERRED_CHECKS, inferCheck, inferHost, isRecoveryText } from './alert-inference.ts';

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('r', 'a', 'g', ' ', '.', '1', '0', '5', '\n', '-', '_', ':', 'h', 't', 'p', 's', 'é', '\u0000'), maxLength: 200 }),
  fc.array(fc.constantFrom('10.0.0.5', 'rag', 'http', 'probe', 'recovered', 'not', 'back', 'online', 'storage', '18789', ' ', '\n'), { maxLength: 40 })
    .map((w) => w.join(' ')),
);

test('property: inference never throws and always returns a usable key', () => {
  fc.assert(fc.property(anyText, fc.boolean(), (text, mapped) => {
    const check = inferCheck(text);
    assert.ok(INFERRED_CHECKS.includes(check), check);
    const host = inferHost(text, (ip) => (mapped ? `agent-${ip.replaceAll('.', '-')}` : null));
    assert.match(host, ALERT_KEY_PART_RE);
    assert.equal(typeof isRecoveryText(text), 'boolean');
    const summary = alertSummary(text);
    assert.ok(summary.length <= 200);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(summary, /[\u0000-\u001f\u007f]/);
  }), { numRuns: 500 });
});

test('property: a keyword inside a longer word never selects its check', () => {
  // Letters and digits that cannot spell any keyword together with the keyword's own letters.
  const filler = fc.string({ unit: fc.constantFrom('x', 'y', 'z', 'q', 'K', '7', 'ü'), minLength: 1, maxLength: 4 });
  const keyword = fc.constantFrom('rag', 'tts', 'stt', 'flux', 'gateway', 'whisper', 'imessage', '8900', '18789', '9801', 'bluebubbles');
  fc.assert(fc.property(filler, keyword, filler, fc.boolean(), fc.boolean(), (before, k, after, pre, post) => {
    fc.pre(pre || post);
    const word = `${pre ? before : ''}${k}${post ? after : ''}`;
    assert.equal(inferCheck(`alert: ${word} is down`), 'unknown', word);
    assert.notEqual(inferCheck(`alert: ${k} is down`), 'unknown', k);
  }));
});

type Step = { gapMin: number; recovery: boolean };

test('property: on any stream, suppression stays inside the window and notifications follow the rules', () => {
  const steps = fc.array(fc.record({ gapMin: fc.integer({ min: 0, max: 70 }), recovery: fc.integer({ min: 0, max: 6 }).map((n) => n === 0) }), { minLength: 1, maxLength: 40 });
  fc.assert(fc.property(steps, fc.integer({ min: 2, max: 5 }), (stream: Step[], escalateAt) => {
    const h = alertDedupHarness({ escalateAt });
    const W = h.rules.windowMs;
    let lastNotifiedAt: number | null = null;
    let incidentOpen = false;
    let escalated = false;
    let inWindow = 0;
    for (const s of stream) {
      h.clock.advance(s.gapMin * MINUTE_MS);
      const now = h.clock.now();
      const d = h.word(s.recovery ? 'gateway on 10.0.0.5 recovered' : 'gateway on 10.0.0.5 down');
      if (s.recovery) {
        assert.equal(d, incidentOpen ? 'recovery' : 'suppressed');
        incidentOpen = false;
        escalated = false;
        lastNotifiedAt = null;
        continue;
      }
      if (!incidentOpen) {
        assert.equal(d, 'new', 'the first alert of an incident notifies');
        incidentOpen = true;
      } else if (d === 'suppressed') {
        assert.ok(lastNotifiedAt !== null && now - lastNotifiedAt < W, 'suppressed only inside the window of the last notification');
        assert.ok(escalated || inWindow + 1 < escalateAt, 'the escalateAt-th alert of a window is never suppressed before the escalation');
      } else if (lastNotifiedAt !== null && now - lastNotifiedAt < W) {
        assert.equal(d, 'escalate', 'inside the window only an escalation notifies');
        assert.equal(escalated, false, 'and only once per incident');
        assert.equal(inWindow + 1, escalateAt, 'at the escalateAt-th alert of the window');
      } else {
        assert.equal(d, escalated ? 'escalate' : 'new', 'after the window: new, or escalate once escalated');
      }
      if (d === 'escalate') escalated = true;
      if (d !== 'suppressed') lastNotifiedAt = now;
      inWindow = d === 'suppressed' ? inWindow + 1 : 1;
    }
  }), { numRuns: 300 });
});

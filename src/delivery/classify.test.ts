import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransportResult } from '../ports/transport.ts';
import { classifyResult, isAutoReplayable, type BreakerEffect, type DeliveryVerdict } from './classify.ts';

const http = (status: number, retryAfterMs: number | null = null): TransportResult =>
  ({ status, networkError: null, retryAfterMs, bodySnippet: '', elapsedMs: 1 });
const net = (code: string | null): TransportResult =>
  ({ status: null, networkError: code, retryAfterMs: null, bodySnippet: '', elapsedMs: 1 });

describe('classifyResult', () => {
  const table: [string, TransportResult, DeliveryVerdict, string, BreakerEffect][] = [
    ['200', http(200), 'delivered', 'http_200', 'success'],
    ['202 (OpenClaw)', http(202), 'delivered', 'http_202', 'success'],
    ['204', http(204), 'delivered', 'http_204', 'success'],
    ['299', http(299), 'delivered', 'http_299', 'success'],
    ['timeout', net('timeout'), 'transient', 'timeout', 'failure'],
    ['refused', net('connection_refused'), 'transient', 'connection_refused', 'failure'],
    ['dns', net('dns'), 'transient', 'dns', 'failure'],
    ['reset', net('reset'), 'transient', 'reset', 'failure'],
    ['no status, no code', net(null), 'transient', 'no_response', 'failure'],
    ['100', http(100), 'transient', 'http_100', 'failure'],
    ['101', http(101), 'transient', 'http_101', 'failure'],
    ['301', http(301), 'transient', 'http_301', 'failure'],
    ['302', http(302), 'transient', 'http_302', 'failure'],
    ['308', http(308), 'transient', 'http_308', 'failure'],
    ['408', http(408), 'transient', 'http_408', 'success'],
    ['425', http(425), 'transient', 'http_425', 'success'],
    ['429', http(429), 'throttled', 'http_429', 'success'],
    ['400', http(400), 'permanent', 'client_error_400', 'success'],
    ['401', http(401), 'permanent', 'client_error_401', 'success'],
    ['403', http(403), 'permanent', 'client_error_403', 'success'],
    ['404', http(404), 'permanent', 'client_error_404', 'success'],
    ['409', http(409), 'permanent', 'client_error_409', 'success'],
    ['413', http(413), 'permanent', 'client_error_413', 'success'],
    ['422', http(422), 'permanent', 'client_error_422', 'success'],
    ['499', http(499), 'permanent', 'client_error_499', 'success'],
    ['500', http(500), 'transient', 'http_500', 'failure'],
    ['502', http(502), 'transient', 'http_502', 'failure'],
    ['503', http(503), 'transient', 'http_503', 'failure'],
    ['504', http(504), 'transient', 'http_504', 'failure'],
    ['599', http(599), 'transient', 'http_599', 'failure'],
    ['nonsense 0', http(0), 'transient', 'http_0', 'failure'],
    ['nonsense 600', http(600), 'transient', 'http_600', 'failure'],
  ];
  for (const [name, result, verdict, reason, breaker] of table) {
    test(name, () => {
      const c = classifyResult(result);
      assert.deepEqual({ verdict: c.verdict, reason: c.reason, breaker: c.breaker }, { verdict, reason, breaker });
    });
  }

  test('Retry-After is passed through on transient answers only', () => {
    assert.equal(classifyResult(http(429, 7_000)).retryAfterMs, 7_000);
    assert.equal(classifyResult(http(503, 7_000)).retryAfterMs, 7_000);
    assert.equal(classifyResult(http(503, 0)).retryAfterMs, null);
    assert.equal(classifyResult(http(404, 7_000)).retryAfterMs, null);
    assert.equal(classifyResult(http(202, 7_000)).retryAfterMs, null);
  });
});

describe('the peer\'s wire code in the reason', () => {
  const answer = (status: number, body: string): TransportResult =>
    ({ status, networkError: null, retryAfterMs: null, bodySnippet: body, elapsedMs: 1 });
  const refusal = (code: unknown): string => JSON.stringify({ ok: false, code, error: 'signature does not verify' });

  test('a MESH refusal body adds its code after bash\'s client_error_<status>', () => {
    const c = classifyResult(answer(403, refusal('signature_invalid')));
    assert.deepEqual({ verdict: c.verdict, reason: c.reason }, { verdict: 'permanent', reason: 'client_error_403:signature_invalid' });
    assert.match(c.reason, /^client_error_403/, 'the bash prefix stays');
  });

  test('transient and throttled answers carry it too; 507 storage_full stays transient', () => {
    const full = classifyResult(answer(507, refusal('storage_full')));
    assert.deepEqual({ verdict: full.verdict, reason: full.reason, breaker: full.breaker }, { verdict: 'transient', reason: 'http_507:storage_full', breaker: 'failure' });
    assert.equal(classifyResult(answer(429, refusal('rate_limited'))).reason, 'http_429:rate_limited');
    assert.equal(classifyResult(answer(202, '{"ok":true,"id":"msg_x"}')).reason, 'http_202');
  });

  test('anything but a short lowercase code in a JSON refusal is ignored, never echoed', () => {
    const ignored = [
      '',
      'signature_invalid',
      'Forbidden',
      '<html>403</html>',
      refusal('Signature_Invalid'),
      refusal('a'.repeat(41)),
      refusal('bad code'),
      refusal('bad\ncode'),
      refusal('\u001b[31mred'),
      refusal('client-error'),
      refusal(403),
      refusal(null),
      JSON.stringify({ ok: true, code: 'signature_invalid' }),
      JSON.stringify({ code: 'signature_invalid' }),
      JSON.stringify([{ ok: false, code: 'signature_invalid' }]),
      JSON.stringify({ ok: false, error: { code: 'signature_invalid' } }),
      `${refusal('signature_invalid').slice(0, -1)},"pad":"${'x'.repeat(5000)}"}`,
      refusal('signature_invalid').slice(0, 30),
    ];
    for (const body of ignored) assert.equal(classifyResult(answer(403, body)).reason, 'client_error_403', body.slice(0, 80));
    assert.equal(classifyResult(answer(403, refusal('a'.repeat(40)))).reason, `client_error_403:${'a'.repeat(40)}`);
  });
});

test('only recoverable dead-letter reasons are replayed automatically', () => {
  assert.equal(isAutoReplayable('all_retries_exhausted'), true);
  assert.equal(isAutoReplayable('circuit_open'), true);
  assert.equal(isAutoReplayable('unknown_peer'), true);
  assert.equal(isAutoReplayable('client_error_401'), false);
  assert.equal(isAutoReplayable('client_error_403:signature_invalid'), false);
  assert.equal(isAutoReplayable('expired'), false);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEnvelope } from './envelope-schema.ts';
import { isMeshError, MeshErrorCode, type MeshError } from './errors.ts';

/** The §2.1 envelope as a plain object. */
const base = (): Record<string, unknown> => ({
  protocol: 'mesh/1.0',
  id: 'msg_00000000-0000-4000-8000-000000000000',
  timestamp: '2026-01-01T00:00:00.000Z',
  from: 'alpha',
  to: 'beta',
  type: 'notification',
  correlationId: null,
  conversationId: null,
  replyTo: null,
  replyContext: null,
  session: null,
  priority: 'normal',
  ttl: 300,
  idempotencyKey: null,
  nonce: '0123456789abcdef0123456789abcdef',
  payload: { subject: 'Hello', body: 'Hello', attachments: [], metadata: {} },
});

function invalidEnvelope(input: unknown): MeshError {
  try {
    parseEnvelope(input);
  } catch (e) {
    assert.ok(isMeshError(e));
    assert.equal(e.code, MeshErrorCode.InvalidEnvelope);
    return e;
  }
  assert.fail('expected INVALID_ENVELOPE');
}

describe('parseEnvelope', () => {
  test('accepts the mesh-send envelope unchanged', () => {
    const e = parseEnvelope(base());
    assert.deepEqual(e, base());
  });

  test('accepts all three protocols and refuses others as unsupported', () => {
    for (const protocol of ['mesh/1.0', 'mesh/3.0', 'sfiac/1.0']) {
      assert.equal(parseEnvelope({ ...base(), protocol }).protocol, protocol);
    }
    for (const protocol of ['mesh/2.0', 'MESH/1.0', '', 1, undefined]) {
      const err = invalidEnvelope({ ...base(), protocol });
      assert.equal(err.details['unsupportedProtocol'], true);
    }
  });

  test('fills defaults for absent fields (build_mesh_response shape)', () => {
    const e = parseEnvelope({
      protocol: 'mesh/1.0',
      id: 'msg_0A1B2C3D-0000-4000-8000-00000000ABCD',
      timestamp: '2026-01-01T00:00:00.000Z',
      from: 'beta',
      to: 'alpha',
      type: 'response',
      correlationId: 'msg_00000000-0000-4000-8000-000000000000',
      replyContext: { sessionKey: 'agent:main:x' },
      payload: { subject: 'Response', body: 'ok' },
    });
    assert.equal(e.ttl, 300);
    assert.equal(e.priority, 'normal');
    assert.equal(e.nonce, null);
    assert.equal(e.replyTo, null);
    assert.equal(e.session, null);
    assert.equal(e.conversationId, null);
    assert.equal(e.idempotencyKey, null);
    assert.deepEqual(e.payload, { subject: 'Response', body: 'ok', attachments: [], metadata: {} });
    assert.deepEqual(e.replyContext, { sessionKey: 'agent:main:x' });
    assert.equal('signature' in e, false);
  });

  test('a missing timestamp or payload is filled, not refused (policy is the pipeline\'s)', () => {
    const { timestamp: _t, payload: _p, ...rest } = base();
    const e = parseEnvelope(rest);
    assert.equal(e.timestamp, '');
    assert.deepEqual(e.payload, { subject: '', body: '', attachments: [], metadata: {} });
  });

  test('accepts msg_<32 hex> ids in either case, refuses other ids', () => {
    assert.ok(parseEnvelope({ ...base(), id: 'msg_0123456789abcdef0123456789abcdef' }));
    assert.ok(parseEnvelope({ ...base(), id: 'msg_0123456789ABCDEF0123456789ABCDEF' }));
    for (const id of ['x', 'msg_', 'msg_../../etc', `msg_${'a'.repeat(200)}`, 42]) {
      assert.match(invalidEnvelope({ ...base(), id }).message, /^id: /);
    }
  });

  test('keeps unknown keys out of the result but accepts them', () => {
    const e = parseEnvelope({ ...base(), futureField: { a: 1 } });
    assert.equal('futureField' in e, false);
  });

  test('keeps encrypted and signature and relay', () => {
    const e = parseEnvelope({
      ...base(),
      payload: { subject: 's', body: '{"enc":"aes-256-cbc"}', attachments: [], metadata: {}, encrypted: true },
      signature: 'sha256:abc',
      relay: { from: 'alpha', via: 'hub', originalTo: 'beta' },
    });
    assert.equal(e.payload.encrypted, true);
    assert.equal(e.signature, 'sha256:abc');
    assert.deepEqual(e.relay, { from: 'alpha', via: 'hub', originalTo: 'beta' });
    const plain = parseEnvelope({ ...base(), payload: { body: 'x', encrypted: false } });
    assert.equal('encrypted' in plain.payload, false);
  });

  test('validates attachments of both kinds', () => {
    const attachments = [
      { type: 'inline', encoding: 'base64', data: 'aGk=', filename: 'a.txt', mimeType: 'text/plain', size: 2 },
      { type: 'url', url: 'http://10.0.0.1:8890/a.pdf', mimeType: 'application/pdf', description: '' },
    ];
    const e = parseEnvelope({ ...base(), payload: { subject: 's', body: 'b', attachments, metadata: {} } });
    assert.deepEqual(e.payload.attachments, attachments);
    const bad = invalidEnvelope({ ...base(), payload: { body: 'b', attachments: [{ type: 'path', path: '/etc/passwd' }] } });
    assert.match(bad.message, /^payload\.attachments\.0/);
  });

  test('refuses bad field types with a path and no value', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ from: 'not a name' }, /^from: /],
      [{ from: 'all' }, /^from: /],
      [{ to: 7 }, /^to: /],
      [{ type: 'command' }, /^type: /],
      [{ ttl: -1 }, /^ttl: /],
      [{ ttl: 1.5 }, /^ttl: /],
      [{ ttl: 10 ** 12 }, /^ttl: /],
      [{ timestamp: 'yesterday' }, /^timestamp: /],
      [{ nonce: 'short' }, /^nonce: /],
      [{ payload: { body: 5 } }, /^payload\.body: /],
      [{ replyTo: { url: 'file:///etc/passwd', token: 'tok-secret' } }, /^replyTo\.url: /],
      [{ replyTo: { url: 'http://x/hooks/a', token: 12345 } }, /^replyTo\.token: /],
      [{ signature: 5 }, /^signature: /],
    ];
    for (const [patch, re] of cases) {
      const err = invalidEnvelope({ ...base(), ...patch });
      assert.match(err.message, re, JSON.stringify(patch));
      assert.doesNotMatch(err.message, /tok-secret|passwd|yesterday|command/);
    }
  });

  test('refuses non-objects, too many keys and over-deep JSON', () => {
    for (const v of [null, [], 'x', 1, new Map()]) assert.match(invalidEnvelope(v).message, /not a JSON object/);
    const many: Record<string, unknown> = base();
    for (let i = 0; i < 70; i++) many[`k${i}`] = i;
    assert.match(invalidEnvelope(many).message, /more than 64 keys/);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.match(invalidEnvelope({ ...base(), replyContext: deep }).message, /nested deeper/);
    assert.match(invalidEnvelope({ ...base(), session: { x: () => 1 } }).message, /session\.x: not JSON/);
  });

  test('does not echo untrusted keys in paths', () => {
    const err = invalidEnvelope({ ...base(), replyContext: { 'evil key\n': [Number.NaN] } });
    assert.doesNotMatch(err.message, /evil/);
  });
});

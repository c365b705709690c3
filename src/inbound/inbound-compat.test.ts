/**
 * Messages exactly as the bash and Python MESH producers write them (bash-mesh-behavior.md §2.2,
 * §17): they must be ACCEPTED whenever the sender's policy allows their signing style.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VECTOR_KEY } from '../crypto/test-envelopes.ts';
import { handOffOf } from '../protocol/agent-view.ts';
import { wrapForHook } from '../protocol/hook.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createInboundPipeline } from './inbound-pipeline.ts';
import { jqText, obj, peer, pyDumps, recorder, signText, staticKeys, staticPeers, T0 } from './test-fixtures.ts';

const ORIGINAL_ID = 'msg_00000000-0000-4000-8000-000000000000';
const TS = new Date(T0).toISOString();

function setup() {
  const rec = recorder();
  const store = createMemoryStore();
  const pipeline = createInboundPipeline({
    self: 'beta',
    store,
    peers: staticPeers('beta', [peer('alpha', 'hmac'), peer('gamma', 'none'), peer('kappa', 'none')]),
    keys: staticKeys({ alpha: VECTOR_KEY, kappa: VECTOR_KEY }),
    clock: new ManualClock(T0 + 2_000),
    events: rec.eventSink,
    audit: rec.auditSink,
    logger: rec.logger,
    options: { handOff: true },
  });
  return { pipeline, store };
}

/** build_mesh_response: jq -n -c, 9 keys, uppercase uuidgen id on macOS, bare base64 signature. */
function bashResponse(from: string): string {
  const text = jqText([
    ['protocol', 'mesh/1.0'],
    ['id', 'msg_5F1C3A9E-7B2D-4E8F-9A6B-0C1D2E3F4A5B'],
    ['timestamp', TS],
    ['from', from],
    ['to', 'beta'],
    ['type', 'response'],
    ['correlationId', ORIGINAL_ID],
    ['replyContext', obj([['sessionKey', 'agent:main:slack:thread:1'], ['conversationId', 'conv_1767225600_0a1b2c3d']])],
    ['payload', obj([['subject', 'Response'], ['body', 'done: 42 rows']])],
  ]);
  return signText(text, VECTOR_KEY, '');
}

describe('inbound pipeline: bash and Python response shapes', () => {
  test('build_mesh_response (bare base64 HMAC, no nonce, no ttl) is accepted from an HMAC peer', () => {
    const { pipeline, store } = setup();
    // send_mesh_response adds the unstripped sessionKey and posts to replyTo.url = /hooks/<responder>.
    const body = jqText([['message', bashResponse('alpha')], ['sessionKey', 'agent:main:slack:thread:1']]);
    const r = pipeline.handle({ pathSender: 'alpha', bodyText: body, wrapped: true });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.auth, 'hmac');
    assert.equal(r.envelope?.ttl, 300);
    assert.equal(r.envelope?.nonce, null);
    assert.equal(r.envelope?.correlationId, ORIGINAL_ID);
    assert.equal(store.inbox.findByCorrelation(ORIGINAL_ID).length, 1);
    const row = store.inbox.get('msg_5F1C3A9E-7B2D-4E8F-9A6B-0C1D2E3F4A5B');
    assert.equal(row?.deliveryState, 'pending');
    // The body's sessionKey is a copy of the echoed replyContext key: the hand-off gets it from there.
    assert.ok(row);
    assert.equal(handOffOf(row).sessionKey, 'agent:main:slack:thread:1');
  });

  test('build_mesh_response from a policy-none peer with a key verifies as hmac', () => {
    const { pipeline } = setup();
    const r = pipeline.handle({ pathSender: 'kappa', bodyText: wrapForHook(bashResponse('kappa')), wrapped: true });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.auth, 'hmac');
  });

  const meshReply = (from: string): string =>
    jqText([
      ['protocol', 'mesh/1.0'],
      ['id', 'msg_9d2c1b0a-8f7e-4d6c-b5a4-938271605f4e'],
      ['timestamp', TS],
      ['from', from],
      ['to', 'beta'],
      ['type', 'response'],
      ['correlationId', ORIGINAL_ID],
      ['replyContext', null],
      ['nonce', 'fedcba9876543210fedcba9876543210'],
      ['payload', obj([['subject', 'All good'], ['body', 'All good']])],
    ]);

  test('mesh-reply.sh (unsigned, with nonce) is accepted from a policy-none peer', () => {
    const { pipeline } = setup();
    const r = pipeline.handle({ pathSender: 'gamma', bodyText: wrapForHook(meshReply('gamma')), wrapped: true });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.auth, 'none');
    assert.equal(r.envelope?.nonce, 'fedcba9876543210fedcba9876543210');
  });

  test('mesh-reply.sh from an HMAC peer is refused: unsigned needs policy none', () => {
    const { pipeline, store } = setup();
    const r = pipeline.handle({ pathSender: 'alpha', bodyText: wrapForHook(meshReply('alpha')), wrapped: true });
    assert.equal(r.body.code, WireCode.SignatureMissing);
    assert.deepEqual(store.inbox.list(), []);
  });

  test('the Python receiver reply (msg_<32 hex>, json.dumps spacing and \\u escapes) is accepted', () => {
    const { pipeline, store } = setup();
    const envelope = obj([
      ['protocol', 'mesh/1.0'],
      ['id', 'msg_8f14e45fceea167a5a36dedd4bea2543'],
      ['timestamp', TS],
      ['from', 'gamma'],
      ['to', 'beta'],
      ['type', 'response'],
      ['correlationId', ORIGINAL_ID],
      ['replyContext', null],
      ['payload', obj([['subject', 'Re: Héllo ✓'], ['body', '{"answer": "ünïcode 🚀"}']])],
    ]);
    const body = pyDumps(obj([['message', pyDumps(envelope)]]));
    assert.match(body, /^\{"message": "\{\\"protocol\\": \\"mesh\/1\.0\\", /);
    assert.match(body, /\\\\u00e9/);
    const r = pipeline.handle({ pathSender: 'gamma', bodyText: body, wrapped: true });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.envelope?.payload.subject, 'Re: Héllo ✓');
    assert.equal(r.plaintextBody, '{"answer": "ünïcode 🚀"}');
    assert.equal(store.inbox.get('msg_8f14e45fceea167a5a36dedd4bea2543')?.envelope, pyDumps(envelope));
  });
});

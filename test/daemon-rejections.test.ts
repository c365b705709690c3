/**
 * Every refusal path of a real `mesh serve` receiver, over HTTP on loopback: hook token, body size,
 * junk that must not spend a sender's rate budget, signatures, replayed nonces, timestamps and TTL, malformed input, unknown
 * senders, wrong recipients. Each answer's status and JSON code is checked, and at the end nothing
 * that was refused may be in the receiver's inbox.
 *
 * Envelopes are built here the way a peer holding the shared HMAC key would (alpha's key for beta),
 * so a test can produce both a validly re-signed variant and a forged one.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serializeJq } from '../src/protocol/canonical-json.ts';
import type { Envelope } from '../src/protocol/envelope.ts';
import { wrapForHook } from '../src/protocol/hook.ts';
import type { JsonValue } from '../src/protocol/json.ts';
import { wireTimestamp } from '../src/protocol/time.ts';
import { alphaEnvelope, hmacSigned } from './support/alpha-envelopes.ts';
import { MeshCluster, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { HTTP_REQUEST_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const MAX_BODY_BYTES = 4096;
// Per-sender burst: alpha's bucket must hold every post of this file (about 27) at 1 token/s refill.
const RATE_BURST = 40;
const MAX_MESSAGE_AGE_MS = 2 * 3_600_000;

interface Answer {
  status: number;
  body: { ok: boolean; code?: string; id?: string; duplicate?: boolean; error?: string };
  headers: Headers;
}

describe('mesh serve refuses what it must, over real HTTP', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let key: string;
  /** Ids the receiver accepted (202) — the only ones allowed in its inbox. */
  const accepted = new Set<string>();
  /** Ids of envelopes that were refused (some share an id with an accepted one: those are excluded). */
  const refused = new Set<string>();

  before(async () => {
    cluster = await MeshCluster.create({
      agents: ['alpha', 'beta'],
      config: {
        serve: { maxBodyBytes: MAX_BODY_BYTES, rateLimitPerSecond: 1, rateLimitBurst: RATE_BURST },
        inbound: { maxMessageAgeMs: MAX_MESSAGE_AGE_MS },
      },
    });
    alpha = cluster.node('alpha');
    beta = cluster.node('beta');
    key = readFileSync(join(alpha.home, 'config', 'signing-keys', 'beta.key'), 'utf8');
    await beta.serve();
  });

  after(async () => {
    await cluster?.close();
  });

  const envelope = alphaEnvelope;
  const signed = (e: Envelope, k = key): Envelope => hmacSigned(e, k);
  const text = (e: Envelope): string => serializeJq(e as unknown as JsonValue);

  async function post(body: string | ReadableStream<Uint8Array>, o: { sender?: string; token?: string | null; query?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const token = o.token === undefined ? beta.token : o.token;
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, body, signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) };
    if (typeof body !== 'string') init.duplex = 'half';
    const res = await fetch(`${beta.url}/hooks/${o.sender ?? 'alpha'}${o.query ?? ''}`, init);
    return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
  }
  /** Posts an envelope wrapped like a peer does, recording the outcome. */
  async function send(e: Envelope, o: { sender?: string; token?: string | null } = {}): Promise<Answer> {
    const a = await post(wrapForHook(text(e)), o);
    if (a.status === 202) accepted.add(e.id);
    else if (a.status >= 400) refused.add(e.id);
    return a;
  }
  function expectRefusal(a: Answer, status: number, code: string): void {
    assert.equal(a.status, status, JSON.stringify(a.body));
    assert.equal(a.body.ok, false);
    assert.equal(a.body.code, code);
    assert.equal(typeof a.body.error, 'string');
  }

  test('a correctly signed envelope is accepted (the baseline every refusal below differs from)', async () => {
    const a = await send(signed(envelope()));
    assert.equal(a.status, 202, JSON.stringify(a.body));
    // What `mesh send --dry-run` prints is exactly what a peer posts: it is accepted too.
    const dry = await alpha.meshJson<{ results: { envelope: Envelope }[] }>(['send', 'beta', 'notification', 'dry run body', '--dry-run']);
    const e = dry.results[0]?.envelope as Envelope;
    assert.equal((await send(e)).status, 202);
  });

  test('hook token: wrong → 401, missing → 401, in the query string → 400', async () => {
    expectRefusal(await send(signed(envelope()), { token: 'mesh-wrong-token' }), 401, 'unauthorized');
    expectRefusal(await send(signed(envelope()), { token: null }), 401, 'unauthorized');
    const e = signed(envelope());
    refused.add(e.id);
    expectRefusal(await post(wrapForHook(text(e)), { query: `?token=${beta.token}` }), 400, 'malformed_body');
  });

  test('oversized body → 413, declared by Content-Length or streamed without one', async () => {
    const big = signed(envelope({ body: 'x'.repeat(MAX_BODY_BYTES) }));
    expectRefusal(await send(big), 413, 'payload_too_large');
    const bytes = new TextEncoder().encode(wrapForHook(text(signed(envelope({ body: 'y'.repeat(MAX_BODY_BYTES) })))));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 1024) c.enqueue(bytes.subarray(i, i + 1024));
        c.close();
      },
    });
    expectRefusal(await post(stream), 413, 'payload_too_large');
  });

  test('junk naming a sender never spends that sender\'s rate budget (it is refused for what it is)', async () => {
    const answers: Answer[] = [];
    // More junk than alpha's whole burst: before the fix it was charged to alpha and alpha got 429.
    for (let i = 0; i < RATE_BURST + 10; i++) answers.push(await post('{}', { sender: 'alpha' }));
    assert.deepEqual([...new Set(answers.map((a) => `${a.status} ${a.body.code ?? ''}`))], ['400 malformed_body']);
    assert.equal((await send(signed(envelope()))).status, 202, 'alpha still gets through');
  });

  test('signatures: missing → 403 signature_missing, forged → 403 signature_invalid, tampered → 403', async () => {
    expectRefusal(await send(envelope()), 403, 'signature_missing');
    expectRefusal(await send(signed(envelope(), '00'.repeat(32))), 403, 'signature_invalid');
    const tampered = signed(envelope({ body: 'pay 10' }));
    tampered.payload.body = 'pay 1000';
    expectRefusal(await send(tampered), 403, 'signature_invalid');
  });

  test('replays: same body again → 200 duplicate; new id + old nonce re-signed → 409; a forged copy does not burn a nonce', async () => {
    const original = signed(envelope({ body: 'once only' }));
    assert.equal((await send(original)).status, 202);
    const again = await send(original);
    assert.deepEqual([again.status, again.body.duplicate, again.body.id], [200, true, original.id]);

    // Only a holder of the key can re-sign a copy with a new id: it is then a replay of the nonce.
    const copy = signed(envelope({ body: 'once only', nonce: original.nonce as string }));
    expectRefusal(await send(copy), 409, 'replay');
    // Without the key the new id breaks the signature: refused before the nonce is even looked at.
    const unsignedCopy = { ...original, id: `msg_${randomUUID()}` };
    expectRefusal(await send(unsignedCopy), 403, 'signature_invalid');

    // An attacker posting a forged message with a nonce the genuine sender will use next does not
    // get that genuine message refused.
    const nonce = randomBytes(16).toString('hex');
    expectRefusal(await send(signed(envelope({ nonce }), 'ab'.repeat(32))), 403, 'signature_invalid');
    assert.equal((await send(signed(envelope({ nonce })))).status, 202);
  });

  test('time: TTL elapsed → 410, older than the replay window → 410, older than inbound.maxMessageAgeMs → 410, too far ahead → 400', async () => {
    const now = Date.now();
    expectRefusal(await send(signed(envelope({ timestamp: wireTimestamp(now - 10_000), ttl: 1 }))), 410, 'expired');
    expectRefusal(await send(signed(envelope({ timestamp: wireTimestamp(now - 600_000) }))), 410, 'expired');
    const aged = await send(signed(envelope({ timestamp: wireTimestamp(now - MAX_MESSAGE_AGE_MS - 60_000), ttl: 86_400 })));
    expectRefusal(aged, 410, 'expired');
    assert.equal(aged.body.error, 'timestamp is older than the maximum message age');
    expectRefusal(await send(signed(envelope({ timestamp: wireTimestamp(now + 600_000) }))), 400, 'future_timestamp');
  });

  test('a message queued past the replay window is accepted while its own TTL lasts; a late retry of it is a duplicate', async () => {
    const queued = signed(envelope({ timestamp: wireTimestamp(Date.now() - 600_000), ttl: 3600, body: 'queued while beta was down' }));
    assert.equal((await send(queued)).status, 202);
    const retry = await send(queued);
    assert.deepEqual([retry.status, retry.body.duplicate, retry.body.id], [200, true, queued.id]);
  });

  test('malformed input: body not JSON, no message, message not JSON, envelope missing fields → 400', async () => {
    expectRefusal(await post('this is not json'), 400, 'malformed_body');
    expectRefusal(await post('{"text":"no message field"}'), 400, 'malformed_body');
    expectRefusal(await post('{"message":"{not json"}'), 400, 'malformed_envelope');
    const partial = new Map<string, JsonValue>([['protocol', 'mesh/1.0'], ['id', `msg_${randomUUID()}`], ['from', 'alpha'], ['to', 'beta']]);
    expectRefusal(await post(wrapForHook(serializeJq(partial))), 400, 'malformed_envelope');
    const wrongProtocol = signed({ ...envelope(), protocol: 'smtp/1.0' });
    const a = await send(wrongProtocol);
    assert.equal(a.status, 400);
    assert.match(a.body.code ?? '', /^(unsupported_protocol|malformed_envelope)$/);
  });

  test('unknown sender → 403; path naming another sender → 403; wrong recipient → 400', async () => {
    expectRefusal(await send(signed(envelope({ from: 'mallory' })), { sender: 'mallory' }), 403, 'unknown_sender');
    expectRefusal(await send(signed(envelope()), { sender: 'gamma' }), 403, 'unknown_sender');
    expectRefusal(await send(signed(envelope({ to: 'gamma' }))), 400, 'wrong_recipient');
  });

  test('nothing refused reached the inbox; every refusal is in the audit trail', async () => {
    const inbox = await beta.inbox();
    const inboxIds = new Set(inbox.map((m) => m.id));
    for (const id of refused) if (!accepted.has(id)) assert.ok(!inboxIds.has(id), `refused ${id} is in the inbox`);
    assert.deepEqual([...inboxIds].sort(), [...accepted].sort());
    assert.ok(inbox.every((m) => m.auth === 'hmac'));

    const codes = new Set(beta.query<{ status: string }>("SELECT DISTINCT status FROM audit WHERE status LIKE 'rejected_%'").map((r) => r.status));
    for (const c of ['signature_missing', 'signature_invalid', 'replay', 'expired', 'future_timestamp', 'malformed_body',
      'malformed_envelope', 'unknown_sender', 'wrong_recipient']) {
      assert.ok(codes.has(`rejected_${c}`), `audit has rejected_${c} (has ${[...codes].join(', ')})`);
    }
    const r = await beta.mesh(['inbox', '--json']);
    assert.equal(r.code, 0, describeRun(r));
  });
});

/**
 * `POST /hooks/<sender>/batch` (protocol/hook-batch.ts) of a real `mesh serve` daemon, over HTTP on
 * loopback, with hostile input: every item is verified on its own and refused alone, exactly as the
 * single route would refuse it; problems with the batch itself are refused as for a single POST;
 * what was accepted is in the daemon's SQLite file once; no answer carries a secret.
 *
 * Envelopes are built here as alpha would (alpha's HMAC key for beta), so a test can make both
 * genuine and forged ones.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serializeJq } from '../src/protocol/canonical-json.ts';
import type { Envelope } from '../src/protocol/envelope.ts';
import { BATCH_MAX_BYTES, BATCH_MAX_ITEMS, encodeBatch, FEATURE_BATCH } from '../src/protocol/hook-batch.ts';
import { wrapForHook } from '../src/protocol/hook.ts';
import type { JsonValue } from '../src/protocol/json.ts';
import { alphaEnvelope, hmacSigned } from './support/alpha-envelopes.ts';
import { MeshCluster, type ClusterNode } from './support/mesh-cluster.ts';
import { HTTP_REQUEST_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const MAX_BODY_BYTES = 4096;
const FORGED_KEY = 'ab'.repeat(32);

interface Answer {
  status: number;
  text: string;
  json: { ok?: boolean; code?: string; error?: string; results?: ItemResult[] };
  headers: Headers;
}
interface ItemResult {
  status: number;
  body: { ok: boolean; code?: string; id?: string; duplicate?: boolean; error?: string };
  retryAfterMs?: number;
}

describe('mesh serve: POST /hooks/<sender>/batch with hostile input', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let key: string;
  /** Every answer's raw text, checked for secrets at the end. */
  const answers: string[] = [];

  before(async () => {
    cluster = await MeshCluster.create({
      agents: ['alpha', 'beta'],
      // A generous per-sender budget: this file sends alpha's envelopes by the hundred.
      config: { serve: { maxBodyBytes: MAX_BODY_BYTES, rateLimitPerSecond: 100, rateLimitBurst: 5_000 } },
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
  const hookBody = (e: Envelope): string => wrapForHook(serializeJq(e as unknown as JsonValue));

  async function request(path: string, init: RequestInit & { duplex?: 'half' } = {}, token: string | null = beta.token): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const res = await fetch(`${beta.url}${path}`, { method: 'POST', headers, signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS), ...init });
    const text = await res.text();
    answers.push(text, JSON.stringify([...res.headers]));
    let json: Answer['json'] = {};
    try {
      json = JSON.parse(text) as Answer['json'];
    } catch {
      // asserted by the caller through `status`
    }
    return { status: res.status, text, json, headers: res.headers };
  }
  const postBatch = (items: readonly string[], o: { sender?: string; token?: string | null; query?: string } = {}): Promise<Answer> =>
    request(`/hooks/${o.sender ?? 'alpha'}/batch${o.query ?? ''}`, { body: encodeBatch(items) }, o.token === undefined ? beta.token : o.token);
  const postSingle = (body: string, sender = 'alpha'): Promise<Answer> => request(`/hooks/${sender}`, { body });

  function results(a: Answer, count: number): ItemResult[] {
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.ok, true);
    assert.equal(a.json.results?.length, count, a.text);
    return a.json.results as ItemResult[];
  }
  function refusedAs(a: Answer, status: number, code: string): void {
    assert.equal(a.status, status, a.text);
    assert.equal(a.json.ok, false);
    assert.equal(a.json.code, code);
    assert.equal(typeof a.json.error, 'string');
  }
  const stored = (ids: readonly string[]): number =>
    ids.length === 0 ? 0 : beta.count(`SELECT count(*) AS n FROM inbox WHERE id IN (${ids.map(() => '?').join(',')})`, ...ids);

  test('/health advertises batch/1', async () => {
    const res = await fetch(`${beta.url}/health`, { signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) });
    const body = (await res.json()) as { features?: string[]; agent?: string };
    assert.equal(res.status, 200);
    assert.equal(body.agent, 'beta');
    assert.ok(body.features?.includes(FEATURE_BATCH), JSON.stringify(body));
  });

  test('a batch of good signed envelopes: each 202, each stored once in the SQLite inbox', async () => {
    const sent = Array.from({ length: 5 }, (_, i) => signed(envelope({ body: `batched ${i} ☃ "quoted" \\ back` })));
    const rs = results(await postBatch(sent.map(hookBody)), 5);
    assert.deepEqual(rs.map((r) => [r.status, r.body.ok, r.body.id]), sent.map((e) => [202, true, e.id]));
    const rows = beta.query<{ id: string; from_agent: string; body: string; auth: string }>(
      `SELECT id, from_agent, body, auth FROM inbox WHERE id IN (${sent.map(() => '?').join(',')})`, ...sent.map((e) => e.id));
    assert.deepEqual(rows.map((r) => [r.id, r.from_agent, r.body, r.auth]).sort(), sent.map((e) => [e.id, 'alpha', e.payload.body, 'hmac']).sort());
  });

  test('a forged and an unsigned item among good ones: only they are refused (403 with their codes), as singly', async () => {
    const good = [signed(envelope()), signed(envelope()), signed(envelope())];
    const forged = signed(envelope({ body: 'pay 1000' }), FORGED_KEY);
    const tampered = signed(envelope({ body: 'pay 10' }));
    tampered.payload.body = 'pay 1000';
    const unsigned = envelope();
    const items = [good[0], forged, good[1], unsigned, tampered, good[2]] as Envelope[];
    const rs = results(await postBatch(items.map(hookBody)), items.length);
    assert.deepEqual(rs.map((r) => [r.status, r.body.code ?? null]), [
      [202, null], [403, 'signature_invalid'], [202, null], [403, 'signature_missing'], [403, 'signature_invalid'], [202, null],
    ]);
    assert.equal(stored(good.map((e) => e.id)), 3);
    assert.equal(stored([forged.id, unsigned.id, tampered.id]), 0);
    // Each refusal is the single route's answer to the same body, word for word.
    for (const [i, e] of [[1, forged], [3, unsigned], [4, tampered]] as const) {
      const single = await postSingle(hookBody(e));
      assert.deepEqual([single.status, single.json], [rs[i]?.status, rs[i]?.body]);
    }
    // The forged copy did not burn the nonce of a genuine message sent with it afterwards.
    const nonce = randomBytes(16).toString('hex');
    const pair = [signed(envelope({ nonce }), FORGED_KEY), signed(envelope({ nonce }))];
    assert.deepEqual(results(await postBatch(pair.map(hookBody)), 2).map((r) => r.status), [403, 202]);
    const audited = new Set(beta.query<{ status: string }>('SELECT DISTINCT status FROM audit WHERE msg_id IN (?, ?, ?)', forged.id, unsigned.id, tampered.id).map((r) => r.status));
    assert.deepEqual([...audited].sort(), ['rejected_signature_invalid', 'rejected_signature_missing']);
  });

  test('a replayed item (twice in one batch, again in a later batch, again singly) is a duplicate and stored once', async () => {
    const e = signed(envelope({ body: 'exactly once' }));
    const first = results(await postBatch([hookBody(e), hookBody(e)]), 2);
    assert.deepEqual(first.map((r) => [r.status, r.body.id, r.body.duplicate ?? false]), [[202, e.id, false], [200, e.id, true]]);
    const other = signed(envelope());
    const later = results(await postBatch([hookBody(other), hookBody(e)]), 2);
    assert.deepEqual(later.map((r) => [r.status, r.body.duplicate ?? false]), [[202, false], [200, true]]);
    const single = await postSingle(hookBody(e));
    assert.deepEqual([single.status, single.json], [200, { ok: true, duplicate: true, id: e.id }]);
    assert.equal(stored([e.id]), 1);
    // A copy re-signed under a new id with the same nonce is a replay of the nonce: 409, as singly.
    const copy = signed(envelope({ body: 'exactly once', nonce: e.nonce as string }));
    const replay = results(await postBatch([hookBody(copy), hookBody(signed(envelope()))]), 2);
    assert.deepEqual(replay.map((r) => [r.status, r.body.code ?? null]), [[409, 'replay'], [202, null]]);
    assert.equal(stored([copy.id]), 0);
  });

  test(`an item over serve.maxBodyBytes (${MAX_BODY_BYTES}) gets 413 alone; the others are stored`, async () => {
    const small = [signed(envelope()), signed(envelope())];
    const big = signed(envelope({ body: 'x'.repeat(MAX_BODY_BYTES) }));
    const rs = results(await postBatch([hookBody(small[0] as Envelope), hookBody(big), hookBody(small[1] as Envelope)]), 3);
    assert.deepEqual(rs.map((r) => [r.status, r.body.code ?? null]), [[202, null], [413, 'payload_too_large'], [202, null]]);
    const single = await postSingle(hookBody(big));
    assert.deepEqual([single.status, single.json], [rs[1]?.status, rs[1]?.body]);
    assert.equal(stored(small.map((e) => e.id)), 2);
    assert.equal(stored([big.id]), 0);
  });

  test(`${BATCH_MAX_ITEMS + 1} items → 400 and none stored; body over 1 MiB → 413, declared or streamed`, async () => {
    const many = Array.from({ length: BATCH_MAX_ITEMS + 1 }, () => signed(envelope()));
    refusedAs(await postBatch(many.map(hookBody)), 400, 'malformed_body');
    assert.equal(stored(many.map((e) => e.id)), 0);
    // Exactly BATCH_MAX_ITEMS is fine.
    const rs = results(await postBatch(many.slice(0, BATCH_MAX_ITEMS).map(hookBody)), BATCH_MAX_ITEMS);
    assert.ok(rs.every((r) => r.status === 202));

    const huge = encodeBatch([hookBody(signed(envelope())), 'y'.repeat(BATCH_MAX_BYTES)]);
    refusedAs(await request('/hooks/alpha/batch', { body: huge }), 413, 'payload_too_large');
    const bytes = new TextEncoder().encode(huge);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) c.enqueue(bytes.subarray(i, i + 64 * 1024));
        c.close();
      },
    });
    refusedAs(await request('/hooks/alpha/batch', { body: stream, duplex: 'half' }), 413, 'payload_too_large');
  });

  test('not JSON, or not {"items":[1..64 strings]} → 400 malformed_body', async () => {
    const good = hookBody(signed(envelope()));
    for (const body of ['not json', '', '[]', 'null', '{}', '{"items":"x"}', '{"items":[]}', '{"items":[1,2]}', `{"items":[${JSON.stringify(good)},null]}`,
      `{"items":[${JSON.stringify(good)}],"extra":true}`, '{"items":[{"message":"x"}]}', '\u00ff\u00fe']) {
      refusedAs(await request('/hooks/alpha/batch', { body }), 400, 'malformed_body');
    }
    // Invalid UTF-8 bytes.
    refusedAs(await request('/hooks/alpha/batch', { body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }), 400, 'malformed_body');
    // An item that is a string but not a hook body is refused alone, as singly.
    const rs = results(await postBatch(['not a hook body', '{"text":"no message"}', good]), 3);
    assert.deepEqual(rs.map((r) => [r.status, r.body.code ?? null]), [[400, 'malformed_body'], [400, 'malformed_body'], [202, null]]);
  });

  test('hook token: wrong or missing → 401 before the body is looked at; in the query → 400; never echoed', async () => {
    const e = signed(envelope());
    const wrong = `mesh-wrong-${randomBytes(12).toString('hex')}`;
    refusedAs(await postBatch([hookBody(e)], { token: wrong }), 401, 'unauthorized');
    refusedAs(await postBatch([hookBody(e)], { token: null }), 401, 'unauthorized');
    refusedAs(await request('/hooks/alpha/batch', { body: 'not even json' }, wrong), 401, 'unauthorized');
    // Another node's token (alpha's own) is no more use than a guess.
    refusedAs(await postBatch([hookBody(e)], { token: alpha.token }), 401, 'unauthorized');
    const q = await postBatch([hookBody(e)], { query: `?token=${beta.token}` });
    refusedAs(q, 400, 'malformed_body');
    assert.equal(stored([e.id]), 0);
    for (const text of answers) assert.ok(!text.includes(wrong), 'the wrong token is not echoed');
  });

  test('GET (or another method) → 405 with Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const a = await request('/hooks/alpha/batch', { method, ...(method === 'GET' ? {} : { body: '{}' }) });
      refusedAs(a, 405, 'method_not_allowed');
      assert.equal(a.headers.get('allow'), 'POST');
    }
  });

  test('the path names another sender (/hooks/gamma/batch, envelopes from alpha) → every item 403 unknown_sender, as singly', async () => {
    const items = [signed(envelope()), signed(envelope())];
    const rs = results(await postBatch(items.map(hookBody), { sender: 'gamma' }), 2);
    for (const r of rs) assert.deepEqual([r.status, r.body.code], [403, 'unknown_sender']);
    const single = await postSingle(hookBody(items[0] as Envelope), 'gamma');
    assert.deepEqual([single.status, single.json], [rs[0]?.status, rs[0]?.body]);
    // A sender beta does not know at all, named in the path and the envelopes.
    const mallory = signed(envelope({ from: 'mallory' }), FORGED_KEY);
    const rm = results(await postBatch([hookBody(mallory)], { sender: 'mallory' }), 1);
    assert.deepEqual([rm[0]?.status, rm[0]?.body.code], [403, 'unknown_sender']);
    // A hostile path segment is refused like on the single route, never echoed back as a name.
    const odd = await request(`/hooks/${encodeURIComponent('<script>')}/batch`, { body: encodeBatch([hookBody(signed(envelope()))]) });
    assert.equal(odd.status, 200, odd.text);
    assert.equal(odd.json.results?.[0]?.status, 403);
    assert.ok(!odd.text.includes('<script>'));
    assert.equal(stored([...items, mallory].map((e) => e.id)), 0);
  });

  test('the per-address rate limit is charged per item: a batch bigger than the burst → 429 with Retry-After, nothing stored', async () => {
    // Live configuration: the next request sees it, and a new setting starts with a full bucket.
    beta.updateConfig({ serve: { addressRateLimitPerSecond: 1, addressRateLimitBurst: 4 } });
    try {
      const over = Array.from({ length: 5 }, () => signed(envelope()));
      const a = await postBatch(over.map(hookBody));
      refusedAs(a, 429, 'rate_limited');
      assert.ok(Number(a.headers.get('retry-after')) >= 1, String(a.headers.get('retry-after')));
      assert.equal(stored(over.map((e) => e.id)), 0);

      beta.updateConfig({ serve: { addressRateLimitBurst: 5 } });
      const fits = Array.from({ length: 5 }, () => signed(envelope()));
      assert.deepEqual(results(await postBatch(fits.map(hookBody)), 5).map((r) => r.status), Array(5).fill(202));
    } finally {
      beta.updateConfig({ serve: { addressRateLimitPerSecond: 200, addressRateLimitBurst: 1000 } });
    }
  });

  test('the per-sender rate limit is charged per item: items past alpha\'s burst get 429 with retryAfterMs, alone', async () => {
    beta.updateConfig({ serve: { rateLimitPerSecond: 1, rateLimitBurst: 3 } });
    try {
      const sent = Array.from({ length: 5 }, () => signed(envelope()));
      const rs = results(await postBatch(sent.map(hookBody)), 5);
      assert.deepEqual(rs.map((r) => [r.status, r.body.code ?? null]), [[202, null], [202, null], [202, null], [429, 'rate_limited'], [429, 'rate_limited']]);
      for (const r of rs.slice(3)) assert.ok(typeof r.retryAfterMs === 'number' && r.retryAfterMs > 0, JSON.stringify(r));
      assert.equal(stored(sent.slice(0, 3).map((e) => e.id)), 3);
      assert.equal(stored(sent.slice(3).map((e) => e.id)), 0);
    } finally {
      beta.updateConfig({ serve: { rateLimitPerSecond: 100, rateLimitBurst: 5_000 } });
    }
  });

  test('no answer carried a secret (hook token, HMAC key)', () => {
    assert.ok(answers.length > 40);
    for (const text of answers) {
      assert.ok(!text.includes(beta.token), 'beta\'s hook token');
      assert.ok(!text.includes(alpha.token), 'alpha\'s hook token');
      assert.ok(!text.includes(key.trim()), 'the HMAC key');
    }
  });
});

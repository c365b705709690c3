/**
 * The local API's JSON routes in-process on a real node: the overview without secrets,
 * conversations (list, filters, detail with consensus), verdicts and side-channel responses as bash
 * posts them, and hostile input on every POST endpoint. Peers are real loopback HTTP servers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { conversationsOf } from '../src/node/node-conversations.ts';
import { fromPeer } from '../src/testing/conversation-harness.ts';
import { apiHarness, type ApiHarness } from './support/api-harness.ts';
import { envelope, inbound, startPeer, audit as auditEntry } from './support/cli-harness.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function json(r: Response): Promise<Json> {
  return (await r.json()) as Json;
}

async function expectCode(r: Response, status: number, code: string): Promise<Json> {
  const b = await json(r);
  assert.equal(r.status, status, JSON.stringify(b));
  assert.equal(b['ok'], false);
  assert.equal(b['code'], code);
  return b;
}

/** A verified answer from `from`, handed to the conversations service as the inbound pipeline does. */
function answer(h: ApiHarness, from: string, conversationId: string, body: string): void {
  const env = fromPeer(from, { type: 'response', body, conversationId, replyContext: { conversationId, round: 1 } });
  h.node.store.transaction(() => conversationsOf(h.node).onInbound({ envelope: env, body, auth: 'hmac' }));
}

describe('local API routes', () => {
  let h: ApiHarness;
  let peers: Awaited<ReturnType<typeof startPeer>>[];
  let rally: string;
  let second: string;

  before(async () => {
    peers = [await startPeer(202), await startPeer(202)];
    h = apiHarness({
      peers: { beta: peers[0]?.url as string, gamma: peers[1]?.url as string, leaky: 'http://admin:hunter2@127.0.0.1:1' },
      api: { maxBodyBytes: 4096 },
    });
    const conv = conversationsOf(h.node);
    rally = (await conv.openRally({ question: 'How many active records in orders?', targets: ['beta', 'gamma'] })).conversationId;
    second = (await conv.openRally({ question: 'Is the backup fresh?', targets: ['beta'], type: 'opinion' })).conversationId;
    answer(h, 'beta', rally, '1260');
    h.other.store.inbox.insert(inbound('msg_req1', Date.now(), { type: 'request', envelope: envelope({ id: 'msg_req1', from: 'beta', to: 'alpha', replyToken: 'secret-reply-token-123' }) }));
  });

  after(async () => {
    await h.close();
    for (const p of peers) await p.close();
  });

  test('GET /api/mesh: recent messages, stats, circuits, dead letters, peers; no token anywhere', async () => {
    const now = Date.now();
    h.other.store.audit.append(auditEntry({ ts: now, direction: 'out', status: 'sent', to: 'beta', type: 'request' }));
    h.other.store.audit.append(auditEntry({ ts: now, direction: 'in', status: 'received', from: 'gamma', to: 'alpha', type: 'response' }));
    h.other.store.audit.append(auditEntry({ ts: now, direction: 'in', status: 'rejected_signature_invalid', from: 'gamma', to: 'alpha', type: 'response' }));
    h.other.store.audit.append(auditEntry({ ts: now - 3 * 86_400_000, direction: 'out', status: 'sent', to: 'gamma' }));
    const r = await h.get('/api/mesh');
    assert.equal(r.status, 200);
    const text = await r.text();
    const b = JSON.parse(text) as Json;
    assert.equal(b['ok'], true);
    assert.equal(b['agent'], 'alpha');
    assert.ok(b['eventSeq'] > 0);
    assert.ok(b['messages'].length >= 4);
    assert.equal(b['stats'].totalSent >= 1, true);
    assert.equal(b['stats'].byAgent.gamma.received, 1);
    assert.equal(b['stats'].byAgent.gamma.failed, 1);
    const sentToGamma = b['stats'].byAgent.gamma.sent as number;
    assert.equal(sentToGamma, 1, 'the rally\'s request; the 3-day-old send is outside the 24 h window');
    assert.equal(b['stats'].byType.response, 1);
    assert.deepEqual(b['peers'].map((p: Json) => p['name']).sort(), ['beta', 'gamma', 'leaky']);
    assert.equal(b['peers'].find((p: Json) => p['name'] === 'leaky').address, 'http://127.0.0.1:1');
    for (const secret of ['tok-beta', 'tok-gamma', 'hunter2', h.hookToken(), h.apiToken(), 'secret-reply-token-123']) {
      assert.ok(!text.includes(secret), `the overview must not contain ${secret}`);
    }
    const wide = await json(await h.get('/api/mesh?hours=96'));
    assert.equal(wide['stats'].byAgent.gamma.sent, sentToGamma + 1);
    await expectCode(await h.get('/api/mesh?hours=0'), 400, 'invalid_request');
  });

  test('GET /api/conversations: newest first, latest round state, filters', async () => {
    const b = await json(await h.get('/api/conversations'));
    assert.equal(b['ok'], true);
    assert.deepEqual(b['conversations'].map((c: Json) => c['id']).sort(), [rally, second].sort());
    const created = b['conversations'].map((c: Json) => c['createdAt'] as number);
    assert.deepEqual(created, [...created].sort((x, y) => y - x), 'newest first');
    const r = b['conversations'].find((c: Json) => c['id'] === rally);
    assert.equal(r.type, 'rally');
    assert.equal(r.status, 'active');
    assert.equal(r.labels, undefined, 'anonymisation labels stay in the detail view');
    assert.deepEqual(r.latestRound.answered, ['beta']);
    assert.deepEqual(r.latestRound.missing, ['gamma']);
    assert.equal(r.latestRound.status, 'partial');
    assert.equal(r.latestRound.question, 'How many active records in orders?');
    const ids = async (q: string): Promise<string[]> => (await json(await h.get(`/api/conversations?${q}`)))['conversations'].map((c: Json) => c['id']);
    assert.deepEqual(await ids('type=opinion'), [second]);
    assert.deepEqual(await ids('agent=gamma'), [rally]);
    assert.deepEqual(await ids('q=backup'), [second]);
    assert.deepEqual(await ids('status=complete'), []);
    assert.deepEqual((await ids('status=active,complete')).sort(), [rally, second].sort());
    assert.deepEqual((await ids('since=1h')).sort(), [rally, second].sort());
    assert.deepEqual(await ids('since=2099-01-01'), []);
    assert.deepEqual(await ids('role=participant'), []);
    const one = await json(await h.get('/api/conversations?limit=1'));
    assert.equal(one['count'], 1);
    assert.equal(one['hasMore'], true);
    for (const q of ['type=nonsense', 'status=active,bogus', 'limit=0', 'limit=1001', 'agent=../x', 'since=yesterday', `q=${'x'.repeat(1001)}`, 'role=owner']) {
      await expectCode(await h.get(`/api/conversations?${q}`), 400, 'invalid_request');
    }
  });

  test('GET /api/conversations/:id: rounds, responses, consensus, verdict; unknown and forged ids are 404', async () => {
    const b = await json(await h.get(`/api/conversations/${rally}`));
    assert.equal(b['conversation'].id, rally);
    assert.equal(b['rounds'].length, 1);
    assert.equal(b['rounds'][0].responses[0].body, '1260');
    assert.equal(b['rounds'][0].requests.length, 2);
    assert.equal(b['consensus'].consensus, 'insufficient');
    assert.equal(b['verdict'], null);
    await expectCode(await h.get('/api/conversations/conv_1_00000000'), 404, 'not_found');
    for (const forged of ['..%2F..%2Fetc%2Fpasswd', 'conv_1_0000000g', `conv_${'9'.repeat(400)}_00000000`, '%00']) {
      await expectCode(await h.get(`/api/conversations/${forged}`), 404, 'not_found');
    }
    await expectCode(await h.get(`/api/conversations/${rally}?round=7`), 400, 'invalid_request');
  });

  test('POST /api/mesh/response (bash side channel): unverified, not counted; the verified answer counts once', async () => {
    const first = await h.post('/api/mesh/response', { conversationId: rally, from: 'gamma', body: '1262\n', ts: '2026-01-01T00:00:00Z' });
    const fb = await json(first);
    assert.equal(first.status, 200, JSON.stringify(fb));
    assert.equal(fb['ok'], true);
    assert.equal(fb['duplicate'], false);
    assert.equal(fb['counted'], false);
    assert.equal((await json(await h.post('/api/mesh/response', { conversationId: rally, from: 'gamma', body: 'again' })))['duplicate'], true);
    let view = await json(await h.get(`/api/conversations/${rally}`));
    const side = view['rounds'][0].responses.find((x: Json) => x['correlatedBy'] === 'api');
    assert.deepEqual({ agent: side.agent, auth: side.auth, counted: side.counted }, { agent: 'gamma', auth: 'none', counted: false });
    assert.deepEqual(view['rounds'][0].missing, ['gamma'], 'gamma has not answered in a way that counts');
    answer(h, 'gamma', rally, '1262');
    view = await json(await h.get(`/api/conversations/${rally}`));
    assert.deepEqual(view['rounds'][0].answered, ['beta', 'gamma']);
    assert.equal(view['rounds'][0].responses.filter((x: Json) => x['counted']).length, 2);
    assert.equal(view['conversation'].status, 'complete');
    assert.deepEqual(view['consensus'].agents, ['beta', 'gamma']);
    assert.equal(view['consensus'].consensus, 'near_match');
    await expectCode(await h.post('/api/mesh/response', { conversationId: 'conv_1_00000000', from: 'gamma', body: 'x' }), 404, 'not_found');
    await expectCode(await h.post('/api/mesh/response', { conversationId: rally, from: 'mallory', body: 'x' }), 400, 'invalid_request');
    await expectCode(await h.post('/api/mesh/response', { conversationId: rally, from: '../x', body: 'x' }), 400, 'invalid_request');
  });

  test('POST /api/mesh/consensus with bash\'s body answers {"ok":true} and records the verdict', async () => {
    const r = await h.post('/api/mesh/consensus', { conversationId: rally, verdict: 'confirmed', summary: 'both near 1260' });
    const b = await json(r);
    assert.equal(r.status, 200, JSON.stringify(b));
    assert.equal(b['ok'], true);
    assert.equal(b['verdict'].verdict, 'confirmed');
    assert.equal(b['verdict'].basis.length, 2, 'the verdict rests on the counted answers only');
    const view = await json(await h.get(`/api/conversations/${rally}`));
    assert.equal(view['verdict'].verdict, 'confirmed');
    assert.equal(view['verdict'].summary, 'both near 1260');
    await expectCode(await h.post('/api/mesh/consensus', { conversationId: rally, verdict: 'two\nlines' }), 400, 'invalid_request');
    await expectCode(await h.post('/api/mesh/consensus', { conversationId: 'conv_1_00000000', verdict: 'x' }), 404, 'not_found');
    await expectCode(await h.post('/api/mesh/consensus', { conversationId: rally }), 400, 'invalid_request');
  });

  /** Each POST route, a valid body, and the same body with a field of the wrong type. */
  const POSTS: Array<[string, () => Json, () => Json]> = [
    ['/api/mesh/consensus', () => ({ conversationId: rally, verdict: 'x' }), () => ({ conversationId: 12, verdict: 'x' })],
    ['/api/mesh/response', () => ({ conversationId: rally, from: 'beta', body: 'x' }), () => ({ conversationId: rally, from: 'beta', body: 12 })],
    ['/api/send', () => ({ to: 'beta', type: 'notification', body: 'x' }), () => ({ to: 'beta', type: 'telegram', body: 'x' })],
    ['/api/request', () => ({ to: 'beta', body: 'x', waitSeconds: 1 }), () => ({ to: 'beta', body: 'x', waitSeconds: 3600 })],
    ['/api/inbox/msg_req1/reply', () => ({ body: 'x' }), () => ({ body: ['x'] })],
  ];

  test('hostile bodies on every POST endpoint: malformed, oversized, not UTF-8, wrong shape, cross-site', async () => {
    const sentBefore = peers.reduce((n, p) => n + p.hits.length, 0);
    for (const [path, valid, wrong] of POSTS) {
      await expectCode(await h.post(path, '{"conversationId":'), 400, 'malformed_json');
      await expectCode(await h.post(path, ''), 400, 'malformed_json');
      await expectCode(await h.request(path, { method: 'POST', body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
      await expectCode(await h.post(path, 'null'), 400, 'invalid_request');
      await expectCode(await h.post(path, '[1,2]'), 400, 'invalid_request');
      await expectCode(await h.post(path, wrong()), 400, 'invalid_request');
      const big = JSON.stringify({ ...valid(), body: 'x'.repeat(5000) });
      await expectCode(await h.post(path, big), 413, 'payload_too_large');
      // No Content-Length: the limit holds while reading.
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
          c.close();
        },
      });
      await expectCode(await h.request(path, { method: 'POST', body: chunks, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit), 413, 'payload_too_large');
      await expectCode(await h.request(path, { method: 'POST', body: JSON.stringify(valid()), headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
      await expectCode(await h.post(path, valid(), { origin: 'https://evil.example' }), 403, 'cross_site');
    }
    for (const [path, valid] of POSTS.slice(2)) {
      await expectCode(await h.post(path, { ...valid(), surprise: true }), 400, 'invalid_request');
    }
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    await expectCode(await h.post('/api/send', { to: 'beta', type: 'notification', body: 'x', metadata: deep }), 400, 'invalid_request');
    let deeper = '1';
    for (let i = 0; i < 2000; i++) deeper = `[${deeper}]`;
    await expectCode(await h.post('/api/send', `{"to":"beta","type":"notification","body":"x","replyContext":${deeper}}`), 400, 'invalid_request');
    assert.equal(peers.reduce((n, p) => n + p.hits.length, 0), sentBefore, 'nothing refused was sent');
  });
});

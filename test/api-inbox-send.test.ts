/**
 * The inbox for frameworks that poll, and sending through the API, in-process on a real node with
 * real loopback peers: acknowledged messages are not listed as unread again, `after` pages on,
 * tokens in envelopes are masked, replies and requests behave as `mesh reply` / `mesh request`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiHarness, type ApiHarness } from './support/api-harness.ts';
import { deadUrl, envelope, inbound, startPeer, until } from './support/cli-harness.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function json(r: Response): Promise<Json> {
  return (await r.json()) as Json;
}

async function expectCode(r: Response, status: number, code: string): Promise<Json> {
  const b = await json(r);
  assert.equal(r.status, status, JSON.stringify(b));
  assert.equal(b['code'], code);
  return b;
}

const ids = (b: Json): string[] => b['messages'].map((m: Json) => m['id']);

describe('GET /api/inbox and acknowledgements', () => {
  let h: ApiHarness;
  let beta: Awaited<ReturnType<typeof startPeer>>;
  const t0 = Date.now() - 60_000;

  before(async () => {
    beta = await startPeer(202);
    h = apiHarness({ peers: { beta: beta.url } });
    // Written by "another process" (e.g. mesh receive): the API reads the shared database.
    h.other.store.inbox.insert(inbound('msg_a', t0 + 1, { type: 'request', envelope: envelope({ id: 'msg_a', from: 'beta', to: 'alpha', replyToken: 'reply-secret-aaaa' }) }));
    h.other.store.inbox.insert(inbound('msg_b', t0 + 2));
    h.other.store.inbox.insert(inbound('msg_c', t0 + 3, { type: 'alert' }));
  });
  after(async () => {
    await h.close();
    await beta.close();
  });

  test('unread lists what nobody acknowledged; an acknowledged message is not listed as unread again', async () => {
    assert.deepEqual(ids(await json(await h.get('/api/inbox?unread=1'))), ['msg_a', 'msg_b', 'msg_c']);
    const ack = await json(await h.post('/api/inbox/msg_b/ack', {}));
    assert.deepEqual({ ok: ack['ok'], id: ack['id'], acknowledged: ack['acknowledged'] }, { ok: true, id: 'msg_b', acknowledged: true });
    assert.equal(typeof ack['readAt'], 'number');
    const again = await json(await h.post('/api/inbox/msg_b/ack', ''));
    assert.equal(again['acknowledged'], false, 'acknowledging twice is harmless');
    assert.equal(again['readAt'], ack['readAt']);
    assert.deepEqual(ids(await json(await h.get('/api/inbox?unread=1'))), ['msg_a', 'msg_c']);
    assert.deepEqual(ids(await json(await h.get('/api/inbox?unread=0'))), ['msg_b']);
    assert.deepEqual(ids(await json(await h.get('/api/inbox'))), ['msg_a', 'msg_b', 'msg_c']);
    const m = (await json(await h.get('/api/inbox'))).messages.find((x: Json) => x['id'] === 'msg_b');
    assert.equal(m.read, true);
    await expectCode(await h.post('/api/inbox/msg_nope/ack', {}), 404, 'not_found');
    await expectCode(await h.post('/api/inbox/..%2Fetc/ack', {}), 404, 'not_found');
    await expectCode(await h.request('/api/inbox/msg_a/ack', { method: 'POST' }), 415, 'unsupported_media_type');
  });

  test('after=<id> pages on behind a message; limit and hasMore; filters; an unknown cursor is refused', async () => {
    const page1 = await json(await h.get('/api/inbox?limit=2'));
    assert.deepEqual(ids(page1), ['msg_a', 'msg_b']);
    assert.equal(page1['hasMore'], true);
    assert.equal(page1['next'], 'msg_b');
    const page2 = await json(await h.get(`/api/inbox?limit=2&after=${page1['next']}`));
    assert.deepEqual(ids(page2), ['msg_c']);
    assert.equal(page2['hasMore'], false);
    assert.equal(page2['next'], 'msg_c');
    const empty = await json(await h.get('/api/inbox?after=msg_c'));
    assert.deepEqual(ids(empty), []);
    assert.equal(empty['next'], 'msg_c', 'the cursor stays where it was');
    h.other.store.inbox.insert(inbound('msg_d', t0 + 4));
    assert.deepEqual(ids(await json(await h.get('/api/inbox?after=msg_c'))), ['msg_d']);
    assert.deepEqual(ids(await json(await h.get('/api/inbox?type=alert'))), ['msg_c']);
    assert.deepEqual(ids(await json(await h.get('/api/inbox?from=gamma'))), []);
    for (const q of ['after=msg_zzz', 'after=%3Cscript%3E', 'limit=0', 'limit=501', 'unread=maybe', 'from=a%20b', 'type=Bad-Type', 'since=soon']) {
      await expectCode(await h.get(`/api/inbox?${q}`), 400, 'invalid_request');
    }
  });

  test('GET /api/inbox/:id: the message and its envelope with every token masked', async () => {
    const r = await h.get('/api/inbox/msg_a');
    const text = await r.text();
    assert.ok(!text.includes('reply-secret-aaaa'), 'the replyTo token of the request must not be shown');
    const b = JSON.parse(text) as Json;
    assert.equal(b['message'].envelope.replyTo.token, '***');
    assert.equal(b['message'].envelope.replyTo.url, 'http://127.0.0.1:1/hooks/beta');
    assert.equal(b['message'].body, 'body of msg_a');
    assert.ok(!(await (await h.get('/api/inbox')).text()).includes('reply-secret-aaaa'));
    await expectCode(await h.get('/api/inbox/msg_unknown'), 404, 'not_found');
  });

  test('POST /api/inbox/:id/reply answers as mesh reply does: to the sender, correlated', async () => {
    const r = await h.post('/api/inbox/msg_a/reply', { body: '42' });
    const b = await json(r);
    assert.equal(r.status, 200, JSON.stringify(b));
    assert.equal(b['results'][0].status, 'delivered');
    assert.equal(b['inReplyTo'], 'msg_a');
    assert.deepEqual(beta.hits, ['/hooks/alpha']);
    const sent = h.node.store.outbox.get(b['results'][0].id);
    const env = JSON.parse(sent?.envelope ?? '{}') as Json;
    assert.equal(env['type'], 'response');
    assert.equal(env['correlationId'], 'msg_a');
    assert.equal(env['payload'].body, '42');
  });
});

describe('POST /api/send and POST /api/request', () => {
  let h: ApiHarness;
  let beta: Awaited<ReturnType<typeof startPeer>>;

  before(async () => {
    beta = await startPeer(202);
    h = apiHarness({ peers: { beta: beta.url, gamma: await deadUrl(), delta: beta.url } });
  });
  after(async () => {
    await h.close();
    await beta.close();
  });

  test('send: delivered, queued for retry, several targets; unknown agents refused', async () => {
    const ok = await json(await h.post('/api/send', { to: 'beta', type: 'notification', body: 'hello', subject: 'hi', metadata: { k: 1 } }));
    assert.equal(ok['ok'], true);
    assert.equal(ok['results'][0].status, 'delivered');
    assert.match(ok['results'][0].id, /^msg_/);
    const queued = await json(await h.post('/api/send', { to: 'gamma', type: 'alert', body: 'disk full' }));
    assert.equal(queued['ok'], true, 'queued for retry is accepted: the daemon delivers it');
    assert.equal(queued['results'][0].status, 'queued');
    const both = await json(await h.post('/api/send', { to: 'beta,delta', type: 'notification', body: 'both' }));
    assert.deepEqual(both['results'].map((x: Json) => x['status']), ['delivered', 'delivered']);
    const failed = await h.post('/api/send', { to: 'gamma', type: 'notification', body: 'once', noRetry: true });
    const fb = await expectCode(failed, 502, 'not_delivered');
    assert.equal(fb['results'][0].status, 'dead_lettered');
    await expectCode(await h.post('/api/send', { to: 'nobody', type: 'notification', body: 'x' }), 400, 'unknown_agent');
    await expectCode(await h.post('/api/send', { to: '@nogroup', type: 'notification', body: 'x' }), 400, 'unknown_agent');
    await expectCode(await h.post('/api/send', { to: 'beta', type: 'notification', body: '' }), 400, 'invalid_request');
    await expectCode(await h.post('/api/send', { to: 'beta', type: 'notification', body: 'x', ttl: 0 }), 400, 'invalid_request');
  });

  test('request: the correlated response, or 504 timeout with the request id', async () => {
    const timedOut = await expectCode(await h.post('/api/request', { to: 'beta', body: 'anyone?', waitSeconds: 1 }), 504, 'timeout');
    assert.match(timedOut['request'].id, /^msg_/);
    assert.equal(timedOut['request'].status, 'delivered');

    const lastSent = (): string | null | undefined => h.other.store.audit.query({ to: 'beta', status: 'sent', type: 'request', limit: 1, order: 'desc' })[0]?.id;
    const pending = h.post('/api/request', { to: 'beta', body: 'What is 6 x 7?', waitSeconds: 60 });
    await until(() => lastSent() !== timedOut['request'].id, 20_000);
    const request = lastSent();
    assert.ok(typeof request === 'string', 'the request went out');
    // The answer arrives through this node's receiver (another process in production).
    h.other.store.inbox.insert(inbound('msg_answer', Date.now(), { type: 'response', correlationId: request, body: '42' }));
    const r = await pending;
    const b = await json(r);
    assert.equal(r.status, 200, JSON.stringify(b));
    assert.equal(b['request'].id, request);
    assert.deepEqual({ id: b['response'].id, from: b['response'].from, body: b['response'].body }, { id: 'msg_answer', from: 'beta', body: '42' });
    assert.notEqual(h.node.store.inbox.get('msg_answer')?.readAt, null, 'the answer was consumed (read), as mesh request does');

    await expectCode(await h.post('/api/request', { to: 'beta,delta', body: 'x' }), 400, 'invalid_request');
    await expectCode(await h.post('/api/request', { to: 'all', body: 'x' }), 400, 'invalid_request');
    await expectCode(await h.post('/api/request', { to: 'gamma', body: 'x', noRetry: true, waitSeconds: 1 }), 502, 'not_delivered');
  });
});

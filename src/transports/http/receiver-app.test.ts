import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { createReceiverApp, type ReceiverAppOptions } from './receiver-app.ts';
import type { ReceiverInboundRequest } from './receiver-types.ts';

const TOKEN = 't0ken-for-unit-tests';

function make(extra: Partial<ReceiverAppOptions> = {}) {
  const calls: ReceiverInboundRequest[] = [];
  const app = createReceiverApp({
    agentName: 'beta',
    version: '1.2.3',
    hookToken: TOKEN,
    handle: (req) => {
      calls.push(req);
      return { status: 200, body: { ok: true } };
    },
    ...extra,
  });
  const post = (path: string, body: BodyInit = '{}', token = TOKEN) =>
    app.request(path, { method: 'POST', body, headers: { authorization: `Bearer ${token}` } });
  return { app, calls, post };
}

describe('receiver app routes (in process)', () => {
  test('unknown paths are 404 JSON', async () => {
    const { app } = make();
    const res = await app.request('/nope');
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { ok: false, code: 'not_found', error: 'not found' });
    assert.equal((await app.request('/hooks', { method: 'POST' })).status, 404);
    assert.equal((await app.request('/hooks/a/b', { method: 'POST' })).status, 404);
  });

  test('HEAD /health works; POST /health is 405', async () => {
    const { app } = make();
    assert.equal((await app.request('/health', { method: 'HEAD' })).status, 200);
    assert.equal((await app.request('/healthz')).status, 200);
    const res = await app.request('/health', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  });

  test('405 comes before auth, like OpenClaw', async () => {
    const { app } = make();
    assert.equal((await app.request('/hooks/alpha', { method: 'PUT' })).status, 405);
  });

  test('a throwing handler gives 500 internal_error without details', async () => {
    const { post } = make({
      handle: () => {
        throw new Error(`database exploded near ${TOKEN}`);
      },
    });
    const res = await post('/hooks/alpha');
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { ok: false, code: 'internal_error', error: 'internal error' });
  });

  test('an async handler and its status pass through; 204 has no body', async () => {
    const { post } = make({ handle: () => Promise.resolve({ status: 409, body: { ok: false, code: 'replay' } }) });
    const res = await post('/hooks/alpha');
    assert.equal(res.status, 409);
    assert.deepEqual(await res.json(), { ok: false, code: 'replay' });
    const { post: post204 } = make({ handle: () => ({ status: 204, body: null }) });
    const r204 = await post204('/hooks/alpha');
    assert.equal(r204.status, 204);
    assert.equal(await r204.text(), '');
  });

  test('an invalid status from the handler is a 500', async () => {
    const { post } = make({ handle: () => ({ status: 99, body: {} }) });
    assert.equal((await post('/hooks/alpha')).status, 500);
  });

  test('a body that is not UTF-8 is 400 malformed_body and never reaches the handler', async () => {
    const { post, calls } = make();
    const res = await post('/hooks/alpha', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, 'malformed_body');
    assert.equal(calls.length, 0);
  });

  test('path senders are URL-decoded', async () => {
    const { post, calls } = make();
    await post('/hooks/agent%5Fone');
    assert.equal(calls[0]?.pathSender, 'agent_one');
  });

  test('a token getter takes effect at once (hot reload)', async () => {
    let current = 'first-token';
    const { post } = make({ hookToken: () => current });
    assert.equal((await post('/hooks/a', '{}', 'first-token')).status, 200);
    current = 'second-token';
    assert.equal((await post('/hooks/a', '{}', 'first-token')).status, 401);
    assert.equal((await post('/hooks/a', '{}', 'second-token')).status, 200);
  });

  test('a getter that yields an empty token lets nobody in', async () => {
    const { app } = make({ hookToken: () => '' });
    const res = await app.request('/hooks/a', { method: 'POST', body: '{}', headers: { authorization: 'Bearer ' } });
    assert.equal(res.status, 401);
  });

  test('configuration errors are MeshErrors', () => {
    assert.throws(() => make({ hookToken: '  ' }), (e: unknown) => e instanceof MeshError && e.code === MeshErrorCode.ConfigInvalid);
    assert.throws(() => make({ maxBodyBytes: 0 }), { code: 'CONFIG_INVALID' });
    assert.throws(() => make({ addressRateLimit: { ratePerSecond: 0, burst: 1 } }), { code: 'CONFIG_INVALID' });
  });

  test('addressRateLimit:false disables the per-address bucket', async () => {
    const { post } = make({ addressRateLimit: false });
    for (let i = 0; i < 1_100; i++) assert.equal((await post('/hooks/a')).status, 200);
  });

  test('the handler\'s retryAfterMs becomes a Retry-After header in whole seconds', async () => {
    const { post } = make({ handle: () => ({ status: 429, body: { ok: false, code: 'rate_limited' }, retryAfterMs: 1_200 }) });
    const res = await post('/hooks/alpha');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
    const { post: plain } = make();
    assert.equal((await plain('/hooks/alpha')).headers.get('retry-after'), null);
  });

  test('the app stays open for more routes', async () => {
    const { app } = make();
    app.get('/api/extra', (c) => c.json({ extra: true }));
    assert.deepEqual(await (await app.request('/api/extra')).json(), { extra: true });
  });
});

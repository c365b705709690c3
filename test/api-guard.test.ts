/**
 * Who may call the local API (in-process, real node and database): Host names (DNS rebinding),
 * cross-site browser requests (Origin, Sec-Fetch-Site, form content types), tokens in URLs, the API
 * token when required (and never a hook token), JSON errors for unknown routes and methods.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { rotateApiToken } from '../src/node/api-token.ts';
import { writeFileAtomic } from '../src/node/atomic-write.ts';
import { layoutOf } from '../src/node/home.ts';
import { apiHarness, type ApiHarness } from './support/api-harness.ts';

async function body(r: Response): Promise<{ ok: boolean; code?: string; error?: string }> {
  return (await r.json()) as { ok: boolean; code?: string; error?: string };
}

async function refused(r: Response, status: number, code: string): Promise<void> {
  assert.equal(r.status, status, `${r.status} ${await r.clone().text()}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  const b = await body(r);
  assert.equal(b.ok, false);
  assert.equal(b.code, code);
  assert.equal(typeof b.error, 'string');
}

async function withApi(o: Parameters<typeof apiHarness>[0], fn: (h: ApiHarness) => Promise<void>): Promise<void> {
  const h = apiHarness(o);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe('local API on loopback: no token, but only for this listener and this origin', () => {
  test('a plain local client needs no token; answers carry no-store, nosniff and frame denial', () => withApi({}, async (h) => {
    const r = await h.get('/api/health');
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ok: true, agent: 'alpha', version: 'test', eventSeq: 0 });
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    for (const host of ['localhost:8880', '[::1]:8880', '127.0.0.1:8880']) {
      assert.equal((await h.get('/api/health', { host })).status, 200, host);
    }
  }));

  test('a Host that is not this listener is refused (DNS rebinding)', () => withApi({}, async (h) => {
    for (const host of ['evil.example:8880', 'evil.example', '127.0.0.1', '127.0.0.1:9999', 'localhost.evil.example:8880']) {
      await refused(await h.get('/api/inbox', { host }), 403, 'forbidden_host');
    }
  }));

  test('cross-site browser requests are refused: Origin, Sec-Fetch-Site', () => withApi({}, async (h) => {
    await refused(await h.get('/api/inbox', { origin: 'http://evil.example' }), 403, 'cross_site');
    await refused(await h.get('/api/inbox', { origin: 'null' }), 403, 'cross_site');
    await refused(await h.get('/api/inbox', { origin: 'http://127.0.0.1:9999' }), 403, 'cross_site');
    await refused(await h.get('/api/inbox', { 'sec-fetch-site': 'cross-site' }), 403, 'cross_site');
    await refused(await h.get('/api/inbox', { 'sec-fetch-site': 'same-site' }), 403, 'cross_site', );
    await refused(await h.post('/api/send', { to: 'beta', type: 'notification', body: 'x' }, { origin: 'http://evil.example' }), 403, 'cross_site');
    // The dashboard's own page: same origin.
    const own = await h.post('/api/mesh/consensus', {}, { origin: 'http://127.0.0.1:8880', 'sec-fetch-site': 'same-origin' });
    assert.equal(own.status, 400, 'past the guard (the body is what is wrong)');
    assert.equal((await h.get('/api/inbox', { 'sec-fetch-site': 'none' })).status, 200);
  }));

  test('a form POST from another site fails, whatever its encoding; nothing is sent', () => withApi({ peers: { beta: 'http://127.0.0.1:1' } }, async (h) => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      // What a browser sends for <form method=post action=http://127.0.0.1:8880/api/send enctype=…>.
      await refused(await h.request('/api/send', {
        method: 'POST', body: 'to=beta&type=notification&body=pwned',
        headers: { 'content-type': type, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      }), 403, 'cross_site');
      // Even a client that sends no browser headers must say it sends JSON.
      await refused(await h.request('/api/send', { method: 'POST', body: '{"to":"beta","type":"notification","body":"x"}', headers: { 'content-type': type } }), 415, 'unsupported_media_type');
    }
    await refused(await h.request('/api/send', { method: 'POST', body: '{}' }), 415, 'unsupported_media_type');
    assert.deepEqual(h.node.store.outbox.listPending(), []);
    assert.equal(h.node.store.deadLetters.list().length, 0);
  }));

  test('a token in the query string is refused, never used', () => withApi({ api: { requireToken: true } }, async (h) => {
    for (const q of [`token=${h.apiToken()}`, `access_token=${h.apiToken()}`, `api_token=x`, 'apiKey=x', `Authorization=Bearer%20${h.apiToken()}`]) {
      await refused(await h.get(`/api/mesh?${q}`), 400, 'token_in_query');
      await refused(await h.get(`/api/mesh?${q}`, { authorization: `Bearer ${h.apiToken()}` }), 400, 'token_in_query');
    }
  }));

  test('unknown routes are 404 and wrong methods 405, as JSON', () => withApi({}, async (h) => {
    await refused(await h.get('/api/nothing'), 404, 'not_found');
    await refused(await h.get('/etc/passwd'), 404, 'not_found');
    const r = await h.get('/api/send');
    await refused(r, 405, 'method_not_allowed');
    assert.equal(r.headers.get('allow'), 'POST');
    await refused(await h.post('/api/mesh', {}), 405, 'method_not_allowed');
    await refused(await h.request('/api/inbox', { method: 'DELETE' }), 405, 'method_not_allowed');
  }));
});

describe('the API token', () => {
  test('required with api.requireToken: Bearer only; the hook token never opens it', () => withApi({ api: { requireToken: true } }, async (h) => {
    const none = await h.get('/api/mesh');
    await refused(none, 401, 'unauthorized');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    await refused(await h.get('/api/mesh', { authorization: `Bearer ${h.hookToken()}` }), 401, 'unauthorized');
    await refused(await h.get('/api/mesh', { 'x-openclaw-token': h.apiToken() }), 401, 'unauthorized');
    await refused(await h.get('/api/mesh', { authorization: `Basic ${h.apiToken()}` }), 401, 'unauthorized');
    await refused(await h.get('/api/mesh', { authorization: `Bearer ${h.apiToken()}x` }), 401, 'unauthorized');
    assert.equal((await h.get('/api/mesh', { authorization: `Bearer ${h.apiToken()}` })).status, 200);
    assert.equal((await h.get('/api/mesh', { authorization: `bearer   ${h.apiToken()}` })).status, 200, 'scheme case and spacing as RFC 6750 allows');
    assert.equal((await h.get('/api/events?after=x', { authorization: `Bearer ${h.apiToken()}` })).status, 400, 'past the guard');
  }));

  test('bound beyond loopback: every Host, every request needs the token', () => withApi({ host: '0.0.0.0' }, async (h) => {
    await refused(await h.get('/api/health', { host: '10.1.2.3:8880' }), 401, 'unauthorized');
    await refused(await h.get('/api/health', { host: '127.0.0.1:8880' }), 401, 'unauthorized');
    assert.equal((await h.get('/api/health', { host: '10.1.2.3:8880', authorization: `Bearer ${h.apiToken()}` })).status, 200);
  }));

  test('guessing is throttled: 20 failures lock the address out (429); the right token still passes', () => withApi({ api: { requireToken: true } }, async (h) => {
    for (let i = 0; i < 20; i++) await refused(await h.get('/api/health', { authorization: `Bearer wrong-${i}` }), 401, 'unauthorized');
    const locked = await h.get('/api/health', { authorization: 'Bearer wrong-again' });
    await refused(locked, 429, 'rate_limited');
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    assert.equal((await h.get('/api/health', { authorization: `Bearer ${h.apiToken()}` })).status, 200);
  }));

  test('rotation applies to the next request; an unusable token file opens nothing', () => withApi({ api: { requireToken: true } }, async (h) => {
    const old = h.apiToken();
    const fresh = rotateApiToken(layoutOf(h.home.home));
    assert.notEqual(fresh, old);
    await refused(await h.get('/api/health', { authorization: `Bearer ${old}` }), 401, 'unauthorized');
    assert.equal((await h.get('/api/health', { authorization: `Bearer ${fresh}` })).status, 200);
    writeFileSync(layoutOf(h.home.home).apiTokenFile, 'short\n', { mode: 0o600 });
    await refused(await h.get('/api/health', { authorization: `Bearer ${fresh}` }), 401, 'unauthorized');
    await refused(await h.get('/api/health', { authorization: 'Bearer short' }), 401, 'unauthorized');
    assert.ok(h.logs.some((l) => l.level === 'error' && /api token file unusable/.test(l.msg)));
  }));

  test('requireToken follows config/mesh.json while the API runs', () => withApi({}, async (h) => {
    assert.equal((await h.get('/api/health')).status, 200);
    const cfg = layoutOf(h.home.home).configFile;
    // Written as `mesh` commands write it (atomically): these requests go through app.request in
    // this process, all within one turn of the event loop, where the node looks again at once only
    // after its own atomic writes (src/node/live-file.ts).
    writeFileAtomic(cfg, JSON.stringify({ api: { requireToken: true } }));
    await refused(await h.get('/api/health'), 401, 'unauthorized');
  }));
});

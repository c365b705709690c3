import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { createHttpTransport } from '../../src/transports/http/http-transport.ts';
import { ManualClock } from '../../src/testing/manual-clock.ts';
import { closedPort, json, startLoopbackServer, type LoopbackServer, type RecordedRequest } from './loopback-server.ts';

const TOKEN = 'hook-secret-token-0123456789abcdef';

describe('http transport against a loopback server', () => {
  let server: LoopbackServer;
  const transport = createHttpTransport();
  /** Responses that never come: ended in `after` so the server can close. */
  const hanging: http.ServerResponse[] = [];

  before(async () => {
    server = await startLoopbackServer(route);
  });
  after(async () => {
    for (const res of hanging) res.destroy();
    await transport.close?.();
    await server.close();
  });

  function route(req: RecordedRequest, res: http.ServerResponse): void {
    switch (req.url) {
      case '/hooks/ok':
        return json(res, 202, { ok: true });
      case '/busy-seconds':
        return json(res, 503, { ok: false }, { 'retry-after': '7' });
      case '/busy-date':
        return json(res, 429, { ok: false }, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() });
      case '/bad':
        return json(res, 400, { ok: false, error: 'message required' });
      case '/redirect':
        res.writeHead(302, { location: '/hooks/ok' });
        return void res.end();
      case '/echo-token':
        res.writeHead(401, { 'content-type': 'text/plain' });
        return void res.end(`bad token ${String(req.headers.authorization)}`);
      case '/echo-token-at-cut': {
        // The echoed header starts 8 bytes before the 2 KB a snippet keeps: the cut would split the token.
        const echo = String(req.headers.authorization);
        res.writeHead(401, { 'content-type': 'text/plain' });
        return void res.end(`${'p'.repeat(2048 - 8 - 'Bearer '.length)}${echo} and more`);
      }
      case '/big':
        res.writeHead(500, { 'content-type': 'text/plain' });
        return void res.end('é'.repeat(200_000));
      case '/never':
        hanging.push(res);
        return;
      case '/health':
        return json(res, 200, { ok: true, status: 'live' });
      default:
        return json(res, 404, { ok: false });
    }
  }

  const post = (path: string, extra: Partial<Parameters<typeof transport.send>[0]> = {}) =>
    transport.send({ url: server.baseUrl + path, token: TOKEN, body: '{"message":"x"}', timeoutMs: 5_000, ...extra });

  test('2xx: status, snippet, no network error; exact body bytes and headers arrive', async () => {
    const body = '{"message":"{\\"protocol\\":\\"mesh/1.0\\",\\"s\\":\\"é ☃ \\\\u007f\\"}"}';
    const before = server.requests.length;
    const r = await post('/hooks/ok', {
      body,
      headers: { 'X-MESH-Signature': 'sha256:abc=', 'Idempotency-Key': 'msg_1' },
    });
    assert.equal(r.status, 202);
    assert.equal(r.networkError, null);
    assert.equal(r.retryAfterMs, null);
    assert.equal(r.bodySnippet, '{"ok":true}');
    assert.ok(r.elapsedMs >= 0);
    const got = server.requests[before];
    assert.ok(got);
    assert.equal(got.method, 'POST');
    assert.deepEqual(got.body, Buffer.from(body, 'utf8'));
    assert.equal(got.headers['authorization'], `Bearer ${TOKEN}`);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(got.headers['x-mesh-signature'], 'sha256:abc=');
    assert.equal(got.headers['idempotency-key'], 'msg_1');
  });

  test('no Authorization header when the token is null', async () => {
    const before = server.requests.length;
    await post('/hooks/ok', { token: null });
    assert.equal(server.requests[before]?.headers['authorization'], undefined);
  });

  test('503 with Retry-After seconds', async () => {
    const r = await post('/busy-seconds');
    assert.equal(r.status, 503);
    assert.equal(r.retryAfterMs, 7_000);
  });

  test('429 with Retry-After as an HTTP date, relative to the injected clock', async () => {
    const clock = new ManualClock(Date.now());
    const t = createHttpTransport({ clock });
    try {
      const r = await t.send({ url: `${server.baseUrl}/busy-date`, token: null, body: '{}', timeoutMs: 5_000 });
      assert.equal(r.status, 429);
      assert.ok(r.retryAfterMs !== null && r.retryAfterMs > 50_000 && r.retryAfterMs <= 61_000, String(r.retryAfterMs));
    } finally {
      await t.close?.();
    }
  });

  test('4xx is reported with its body snippet', async () => {
    const r = await post('/bad');
    assert.equal(r.status, 400);
    assert.equal(r.networkError, null);
    assert.match(r.bodySnippet, /message required/);
  });

  test('a redirect is reported, not followed', async () => {
    const before = server.requests.length;
    const r = await post('/redirect');
    assert.equal(r.status, 302);
    assert.equal(server.requests.length, before + 1);
  });

  test('a token echoed back by the peer is redacted from the snippet', async () => {
    const r = await post('/echo-token');
    assert.equal(r.status, 401);
    assert.ok(!r.bodySnippet.includes(TOKEN));
    assert.match(r.bodySnippet, /\[redacted\]/);
  });

  test('a token the 2 KB cut would split is blanked whole: not even its first characters are kept', async () => {
    const r = await post('/echo-token-at-cut');
    assert.equal(r.status, 401);
    assert.ok(!r.bodySnippet.includes(TOKEN.slice(0, 8)), `…${r.bodySnippet.slice(-40)}`);
    assert.ok(r.bodySnippet.endsWith('Bearer [redacte'), `…${r.bodySnippet.slice(-40)}`);
    assert.equal(Buffer.byteLength(r.bodySnippet), 2048);
  });

  test('only about 2 KB of a large body is kept', async () => {
    const r = await post('/big');
    assert.equal(r.status, 500);
    assert.ok(Buffer.byteLength(r.bodySnippet) <= 2048 + 3, String(Buffer.byteLength(r.bodySnippet)));
    assert.ok(r.bodySnippet.startsWith('éé'));
  });

  test('a closed port is connection_refused', async () => {
    const port = await closedPort();
    const r = await transport.send({ url: `http://127.0.0.1:${port}/hooks/x`, token: TOKEN, body: '{}', timeoutMs: 2_000 });
    assert.equal(r.status, null);
    assert.equal(r.networkError, 'connection_refused');
  });

  test('a server that never answers times out at the total timeout', async () => {
    const started = Date.now();
    const r = await post('/never', { timeoutMs: 300 });
    assert.equal(r.status, null);
    assert.equal(r.networkError, 'timeout');
    assert.ok(Date.now() - started < 3_000);
  });

  test('the connection is still usable after a timeout', async () => {
    const r = await post('/hooks/ok');
    assert.equal(r.status, 202);
  });

  test('unparseable URLs and header values are invalid_request, not exceptions', async () => {
    assert.equal((await transport.send({ url: 'not a url', token: null, body: '{}', timeoutMs: 1_000 })).networkError, 'invalid_request');
    assert.equal((await transport.send({ url: 'ftp://127.0.0.1/x', token: null, body: '{}', timeoutMs: 1_000 })).networkError, 'invalid_request');
    const bad = await post('/hooks/ok', { token: 'abc\r\nX-Evil: 1' });
    assert.equal(bad.networkError, 'invalid_request');
  });

  test('probe GETs <base>/health, with or without a trailing slash', async () => {
    const before = server.requests.length;
    const r = await transport.probe(`${server.baseUrl}/`, 2_000);
    assert.equal(r.status, 200);
    assert.match(r.bodySnippet, /"live"/);
    const got = server.requests[before];
    assert.equal(got?.method, 'GET');
    assert.equal(got?.url, '/health');
    assert.equal(got?.headers['authorization'], undefined);
  });

  test('probe of a closed port reports the network error', async () => {
    const port = await closedPort();
    const r = await transport.probe(`http://127.0.0.1:${port}`, 2_000);
    assert.equal(r.networkError, 'connection_refused');
  });

  test('keep-alive: sequential requests reuse one connection', async () => {
    const ports = new Set<number>();
    const s = await startLoopbackServer((req, res) => json(res, 200, { ok: true }));
    const t = createHttpTransport();
    try {
      for (let i = 0; i < 5; i++) {
        const r = await t.send({ url: `${s.baseUrl}/x`, token: null, body: '{}', timeoutMs: 2_000 });
        assert.equal(r.status, 200);
      }
      assert.equal(s.requests.length, 5);
      for (const req of s.requests) ports.add(req.remotePort);
      assert.equal(ports.size, 1);
    } finally {
      await t.close?.();
      await s.close();
    }
  });
});

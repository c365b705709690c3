import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createReceiverApp, type ReceiverAppOptions } from '../../src/transports/http/receiver-app.ts';
import { startReceiver, type RunningReceiver } from '../../src/transports/http/receiver-server.ts';
import type { ReceiverInboundRequest } from '../../src/transports/http/receiver-types.ts';
import { ManualClock } from '../../src/testing/manual-clock.ts';

const TOKEN = 'node-hook-token-abcdef0123456789';

interface Harness {
  base: string;
  calls: ReceiverInboundRequest[];
  clock: ManualClock;
  running: RunningReceiver;
}

async function harness(extra: Partial<ReceiverAppOptions> = {}): Promise<Harness> {
  const calls: ReceiverInboundRequest[] = [];
  const clock = new ManualClock();
  const app = createReceiverApp({
    agentName: 'beta',
    version: '0.1.0-test',
    hookToken: TOKEN,
    clock,
    handle: (req) => {
      calls.push(req);
      return { status: 202, body: { ok: true, id: 'msg_x' } };
    },
    ...extra,
  });
  const running = await startReceiver({ app, port: 0 });
  return { base: `http://127.0.0.1:${running.port}`, calls, clock, running };
}

/** Raw node:http POST with a chunked body (no Content-Length), written piece by piece. */
function postChunked(url: string, pieces: readonly string[], token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

describe('receiver app on a real loopback server', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ maxBodyBytes: 1024 });
  });
  after(async () => {
    await h.running.close();
  });
  afterEach(() => {
    h.calls.length = 0;
  });

  const post = (path: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(h.base + path, { method: 'POST', body, headers });

  test('binds loopback and reports the chosen port', () => {
    assert.equal(h.running.host, '127.0.0.1');
    assert.ok(h.running.port > 0);
  });

  test('good Bearer token: the handler gets the exact body text and the path sender', async () => {
    const body = '{"message":"{\\"protocol\\":\\"mesh/1.0\\",\\"x\\":\\"é ☃\\"}"}';
    const res = await post('/hooks/alpha', body);
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { ok: true, id: 'msg_x' });
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(h.calls, [{ pathSender: 'alpha', bodyText: body, wrapped: true }]);
  });

  test('/hooks/agent passes a null path sender; x-openclaw-token works; no Content-Type needed', async () => {
    const res = await fetch(`${h.base}/hooks/agent`, { method: 'POST', body: '{}', headers: { 'x-openclaw-token': TOKEN } });
    assert.equal(res.status, 202);
    assert.equal(h.calls[0]?.pathSender, null);
  });

  test('missing or wrong token: 401 and the handler is not called', async () => {
    const variants: Record<string, string>[] = [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${TOKEN}` }, { 'x-openclaw-token': `${TOKEN}x` }];
    for (const headers of variants) {
      const res = await post('/hooks/alpha', '{}', headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      const body = (await res.json()) as { ok: boolean; code: string };
      assert.equal(body.ok, false);
      assert.equal(body.code, 'unauthorized');
    }
    assert.equal(h.calls.length, 0);
  });

  test('?token= in the query is refused with 400 even with a good header', async () => {
    const res = await post(`/hooks/alpha?token=${TOKEN}`, '{}');
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.ok(!text.includes(TOKEN));
    assert.equal(h.calls.length, 0);
  });

  test('oversize body with Content-Length: 413, handler not called', async () => {
    const res = await post('/hooks/alpha', 'x'.repeat(4096));
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { code: string }).code, 'payload_too_large');
    assert.equal(h.calls.length, 0);
  });

  test('oversize chunked body without Content-Length: 413, handler not called', async () => {
    const res = await postChunked(`${h.base}/hooks/alpha`, Array.from({ length: 8 }, () => 'y'.repeat(400)), TOKEN);
    assert.equal(res.status, 413);
    assert.equal(h.calls.length, 0);
  });

  test('an oversize body is refused while the client is still sending (nothing unbounded is buffered)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${h.base}/hooks/alpha`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      // 2 KiB sent, and the request is never ended: only a reader that stops at the limit can answer.
      req.write('w'.repeat(2048));
    });
    assert.equal(status, 413);
    assert.equal(h.calls.length, 0);
  });

  test('a chunked body within the limit is delivered whole', async () => {
    const pieces = ['{"message":', '"hello', ' world"}'];
    const res = await postChunked(`${h.base}/hooks/alpha`, pieces, TOKEN);
    assert.equal(res.status, 202);
    assert.equal(h.calls[0]?.bodyText, pieces.join(''));
  });

  test('a body of exactly the limit is accepted', async () => {
    const res = await post('/hooks/alpha', 'z'.repeat(1024));
    assert.equal(res.status, 202);
    assert.equal(h.calls[0]?.bodyText.length, 1024);
  });

  test('GET on a hook path is 405 with Allow: POST', async () => {
    const res = await fetch(`${h.base}/hooks/alpha`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
  });

  test('/health answers live, the agent and the version, and no secrets', async () => {
    const res = await fetch(`${h.base}/health`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), { ok: true, status: 'live', agent: 'beta', version: '0.1.0-test' });
    assert.ok(!text.includes(TOKEN));
  });
});

describe('receiver throttling with an injected clock', () => {
  test('per-address rate limit: 429 with Retry-After, whatever sender the path names, refills with the clock', async () => {
    const h = await harness({ addressRateLimit: { ratePerSecond: 1, burst: 2 } });
    try {
      const send = (sender: string, token = TOKEN) =>
        fetch(`${h.base}/hooks/${sender}`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${token}` } });
      assert.equal((await send('alpha')).status, 202);
      assert.equal((await send('gamma')).status, 202);
      // Same client address: the path's sender makes no difference, and a bad token is no way around it.
      for (const [sender, token] of [['alpha', TOKEN], ['delta', TOKEN], ['agent', TOKEN], ['alpha', 'wrong']] as const) {
        const limited = await send(sender, token);
        assert.equal(limited.status, 429, sender);
        assert.equal(limited.headers.get('retry-after'), '1');
        assert.equal(((await limited.json()) as { code: string }).code, 'rate_limited');
      }
      h.clock.advance(1_000);
      assert.equal((await send('alpha')).status, 202);
      assert.equal(h.calls.length, 3);
    } finally {
      await h.running.close();
    }
  });

  test('20 bad tokens lock the client out (429, Retry-After 60); a good token still passes but does not lift it', async () => {
    const h = await harness();
    try {
      const send = (token: string) =>
        fetch(`${h.base}/hooks/alpha`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${token}` } });
      for (let i = 1; i <= 20; i++) assert.equal((await send('wrong')).status, 401, `attempt ${i}`);
      const locked = await send('wrong');
      assert.equal(locked.status, 429);
      assert.equal(locked.headers.get('retry-after'), '60');
      assert.equal((await send(TOKEN)).status, 202);
      const still = await send('wrong');
      assert.equal(still.status, 429, 'a success from the same address does not end the lockout');
      assert.equal(h.calls.length, 1);
    } finally {
      await h.running.close();
    }
  });

  test('successes interleaved with bad tokens do not reset the failure count', async () => {
    const h = await harness({ authFailures: { maxFailures: 5, windowMs: 60_000 } });
    try {
      const send = (token: string) =>
        fetch(`${h.base}/hooks/alpha`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${token}` } });
      const statuses: number[] = [];
      // A guesser that slips a valid request in after every 2 guesses, 6 guesses in all.
      for (let round = 0; round < 3; round++) {
        statuses.push((await send(`guess-${round}-a`)).status, (await send(`guess-${round}-b`)).status);
        assert.equal((await send(TOKEN)).status, 202);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429], 'the 5th failure started the lockout, the 6th guess is throttled');
      // Failures age out of the window instead: after the lockout and the window, the client starts clean.
      h.clock.advance(60_000);
      assert.equal((await send('guess-late')).status, 401);
    } finally {
      await h.running.close();
    }
  });

  test('a lockout ends when the injected clock passes it', async () => {
    const h = await harness({ authFailures: { maxFailures: 2, lockoutMs: 10_000 } });
    try {
      const send = () => fetch(`${h.base}/hooks/alpha`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer bad' } });
      await send();
      await send();
      assert.equal((await send()).status, 429);
      h.clock.advance(10_000);
      assert.equal((await send()).status, 401);
    } finally {
      await h.running.close();
    }
  });
});

describe('startReceiver', () => {
  test('a port in use is a MeshError, not a crash', async () => {
    const h = await harness();
    try {
      const app = createReceiverApp({ agentName: 'x', version: '0', hookToken: TOKEN, handle: () => ({ status: 200, body: {} }) });
      await assert.rejects(startReceiver({ app, port: h.running.port }), {
        name: 'MeshError', code: 'ADDRESS_IN_USE', message: `port ${h.running.port} on 127.0.0.1 is in use (EADDRINUSE)`,
      });
    } finally {
      await h.running.close();
    }
  });
});

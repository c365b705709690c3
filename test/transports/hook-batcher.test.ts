/**
 * The sender side of hook batches (transports/http/hook-batcher.ts) around the real HTTP transport,
 * against real node:http servers on 127.0.0.1 that answer like a MESH-TS node (batch/1), like an
 * OpenClaw gateway (no features), or like a broken or older peer. Requests "in one turn" are made by
 * calling send() several times synchronously, as the outbox worker does when it starts attempts.
 * The only time injected is the batcher's clock (how long a peer's answer about batches is trusted).
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, describe, test } from 'node:test';
import type { OutboundRequest, Transport, TransportResult } from '../../src/ports/transport.ts';
import {
  BATCH_ITEM_MAX_BYTES, BATCH_MAX_BYTES, BATCH_MAX_ITEMS, BATCH_PATH_SUFFIX, encodeBatch, parseBatchRequest,
} from '../../src/protocol/hook-batch.ts';
import { ManualClock } from '../../src/testing/manual-clock.ts';
import { createHookBatcher } from '../../src/transports/http/hook-batcher.ts';
import { createHttpTransport } from '../../src/transports/http/http-transport.ts';
import { HTTP_REQUEST_TIMEOUT_MS } from '../support/timeouts.ts';
import { json, startLoopbackServer, type LoopbackServer, type RecordedRequest } from './loopback-server.ts';

const TOKEN = 'hook-token-Q2x5dGVtbmVzdHJhLXNlY3JldC10b2tlbg';
const SUPPORT_TTL_MS = 300_000;
const UNKNOWN_RETRY_MS = 30_000;
const MESH_HEALTH = { ok: true, status: 'live', agent: 'beta', version: '0.1.0', features: ['relay/1', 'batch/1'] };
const OPENCLAW_HEALTH = { ok: true, status: 'live' };

/** How the fake peer answers a batch POST (items are answered as the single route would). */
type BatchMode = 'results' | 'results-escaped' | 'status-404' | 'status-503' | 'wrong-count' | 'accepted-no-results' | 'echo-token-401';

/** `text` as a JSON string's content with every character written \uXXXX (valid JSON, and nothing like the text). */
const uEscaped = (text: string): string => [...text].map((c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`).join('');

interface Peer {
  server: LoopbackServer;
  /** Replaced by tests to change the peer's behaviour. */
  state: { health: unknown; batch: BatchMode };
  hookUrl: string;
  posts(): RecordedRequest[];
  batches(): RecordedRequest[];
  singles(): RecordedRequest[];
  healthProbes(): number;
}

/** What the peer answers for one hook body, single or in a batch: `{"message":"<text>"}` decides. */
function itemAnswer(body: string, authorization: string | undefined): { status: number; body: unknown; retryAfterMs?: number } {
  let message: string;
  try {
    message = String((JSON.parse(body) as { message?: unknown }).message);
  } catch {
    return { status: 400, body: { ok: false, code: 'malformed_body', error: 'not JSON' } };
  }
  if (message.startsWith('forged')) return { status: 403, body: { ok: false, code: 'signature_invalid', error: 'signature does not verify' } };
  if (message.startsWith('busy')) return { status: 429, body: { ok: false, code: 'rate_limited', error: 'slow down' }, retryAfterMs: 2_500 };
  if (message.startsWith('echo')) {
    // A peer that echoes what it was sent, our Authorization header included, placed so that it
    // straddles the 2 KB a snippet keeps: `{"ok":false,"code":"x","error":"` is 32 characters, and
    // the token starts 8 characters before the end of the snippet.
    return { status: 400, body: { ok: false, code: 'x', error: `${'p'.repeat(2040 - 32 - 'Bearer '.length)}${String(authorization)}` } };
  }
  // Like a MESH node, a short id (not the message) is echoed: the answer stays small.
  return { status: 202, body: { ok: true, id: message.slice(0, 40) } };
}

const peers: LoopbackServer[] = [];
const transports: Transport[] = [];
after(async () => {
  await Promise.all(transports.map((t) => t.close?.()));
  await Promise.all(peers.map((s) => s.close()));
});

async function startPeer(health: unknown, batch: BatchMode = 'results'): Promise<Peer> {
  const state = { health, batch };
  const server = await startLoopbackServer((req: RecordedRequest, res: http.ServerResponse) => {
    const auth = req.headers['authorization'];
    if (req.method === 'GET' && req.url === '/health') return json(res, 200, state.health);
    if (req.method !== 'POST') return json(res, 405, { ok: false });
    if (req.url === '/hooks/alpha') {
      const a = itemAnswer(req.body.toString('utf8'), auth);
      return json(res, a.status, a.body, a.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.ceil(a.retryAfterMs / 1000)) });
    }
    if (req.url === `/hooks/alpha${BATCH_PATH_SUFFIX}`) {
      const parsed = parseBatchRequest(req.body.toString('utf8'));
      if (!parsed.ok) return json(res, 400, { ok: false, code: 'malformed_body', error: parsed.error });
      switch (state.batch) {
        case 'status-404': return json(res, 404, { ok: false, code: 'not_found', error: 'not found' });
        // A proxy's error page, larger than the 2 KB a single POST's snippet keeps.
        case 'status-503': return json(res, 503, { ok: false, code: 'unavailable', error: `later ${'.'.repeat(10_000)}` }, { 'retry-after': '7' });
        case 'echo-token-401': return json(res, 401, { ok: false, code: 'unauthorized', error: `bad ${String(auth)}` });
        case 'accepted-no-results': return json(res, 202, { ok: true });
        case 'wrong-count': return json(res, 200, { ok: true, results: parsed.items.slice(1).map((i) => itemAnswer(i, auth)) });
        case 'results': return json(res, 200, { ok: true, results: parsed.items.map((i) => itemAnswer(i, auth)) });
        case 'results-escaped': {
          // Valid JSON whose echoed token is spelt in \u escapes: only the parsed answer shows it.
          const text = JSON.stringify({ ok: true, results: parsed.items.map((i) => itemAnswer(i, auth)) }).replaceAll(TOKEN, uEscaped(TOKEN));
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(text);
        }
      }
    }
    return json(res, 404, { ok: false, code: 'not_found' });
  });
  peers.push(server);
  const posts = (): RecordedRequest[] => server.requests.filter((r) => r.method === 'POST');
  return {
    server,
    state,
    hookUrl: `${server.baseUrl}/hooks/alpha`,
    posts,
    batches: () => posts().filter((r) => r.url.endsWith(BATCH_PATH_SUFFIX)),
    singles: () => posts().filter((r) => !r.url.endsWith(BATCH_PATH_SUFFIX)),
    healthProbes: () => server.requests.filter((r) => r.method === 'GET' && r.url === '/health').length,
  };
}

interface Sender {
  batcher: Transport;
  clock: ManualClock;
  /** Waits until every health probe started so far has been answered and read by the batcher. */
  probesSettled(): Promise<void>;
}

/** The real HTTP transport inside the batcher; the pass-through only lets a test wait for probes. */
function sender(): Sender {
  const http = createHttpTransport({ timeoutMs: HTTP_REQUEST_TIMEOUT_MS });
  const probes: Promise<TransportResult>[] = [];
  const observed: Transport = {
    send: (req) => http.send(req),
    probe: (base, ms) => {
      const p = http.probe(base, ms);
      probes.push(p);
      return p;
    },
    close: () => http.close?.() ?? Promise.resolve(),
  };
  const clock = new ManualClock(Date.now());
  const batcher = createHookBatcher(observed, { clock, supportTtlMs: SUPPORT_TTL_MS, unknownRetryMs: UNKNOWN_RETRY_MS });
  transports.push(batcher);
  return {
    batcher,
    clock,
    async probesSettled() {
      await Promise.all(probes);
      // The batcher's own continuation on the probe ran before ours (it subscribed first).
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
}

const hookBody = (message: string): string => JSON.stringify({ message });

function request(peer: Peer, message: string, over: Partial<OutboundRequest> = {}): OutboundRequest {
  return {
    url: peer.hookUrl,
    token: TOKEN,
    body: hookBody(message),
    headers: { 'Idempotency-Key': message.slice(0, 40) },
    timeoutMs: HTTP_REQUEST_TIMEOUT_MS,
    batchBase: peer.server.baseUrl,
    ...over,
  };
}

/** Starts every request in the same turn of the event loop and waits for all of them. */
function oneTurn(s: Sender, reqs: readonly OutboundRequest[]): Promise<TransportResult[]> {
  return Promise.all(reqs.map((r) => s.batcher.send(r)));
}

const messagesOf = (rs: readonly RecordedRequest[]): string[] => rs.map((r) => String((JSON.parse(r.body.toString('utf8')) as { message: unknown }).message));
const batchItems = (r: RecordedRequest): string[] => {
  const p = parseBatchRequest(r.body.toString('utf8'));
  assert.ok(p.ok, 'the batch body parses');
  return p.items;
};

describe('hook batcher (sender side) over real loopback HTTP', () => {
  test('a peer advertising batch/1: first turn goes singly while the probe runs, the next turn is ONE POST …/batch', async () => {
    const peer = await startPeer(MESH_HEALTH);
    const s = sender();
    const first = await oneTurn(s, ['m-0', 'm-1', 'm-2'].map((m) => request(peer, m)));
    assert.deepEqual(first.map((r) => r.status), [202, 202, 202]);
    assert.equal(peer.healthProbes(), 1, 'two or more requests meeting in a turn ask the peer once');
    assert.deepEqual(messagesOf(peer.singles()).sort(), ['m-0', 'm-1', 'm-2']);
    assert.equal(peer.batches().length, 0);
    await s.probesSettled();

    const turn = ['m-3', 'forged-4', 'busy-5', 'm-6'];
    const second = await oneTurn(s, turn.map((m) => request(peer, m)));
    assert.equal(peer.posts().length, 4, 'one POST more');
    const [batch] = peer.batches();
    assert.ok(batch);
    assert.equal(batch.url, `/hooks/alpha${BATCH_PATH_SUFFIX}`);
    assert.equal(batch.headers['authorization'], `Bearer ${TOKEN}`);
    assert.equal(batch.headers['content-type'], 'application/json');
    assert.equal(batch.body.toString('utf8'), encodeBatch(turn.map(hookBody)), 'each item is the single POST body, byte for byte, in order');
    assert.equal(peer.healthProbes(), 1);

    // Each caller gets its own item's answer, as its single POST would have had it.
    assert.deepEqual(second.map((r) => [r.status, r.networkError, r.retryAfterMs]), [[202, null, null], [403, null, null], [429, null, 2_500], [202, null, null]]);
    assert.deepEqual(JSON.parse(second[0]?.bodySnippet ?? ''), { ok: true, id: 'm-3' });
    assert.equal((JSON.parse(second[1]?.bodySnippet ?? '') as { code: string }).code, 'signature_invalid');
    assert.deepEqual(JSON.parse(second[3]?.bodySnippet ?? ''), { ok: true, id: 'm-6' });
  });

  test('a peer that answers /health like OpenClaw ({"ok":true,"status":"live"}) only ever gets single POSTs', async () => {
    const peer = await startPeer(OPENCLAW_HEALTH);
    const s = sender();
    await oneTurn(s, ['a-0', 'a-1', 'a-2'].map((m) => request(peer, m)));
    await s.probesSettled();
    for (let t = 0; t < 3; t++) {
      const rs = await oneTurn(s, [0, 1, 2, 3].map((i) => request(peer, `t${t}-${i}`)));
      assert.deepEqual(rs.map((r) => r.status), [202, 202, 202, 202]);
    }
    assert.equal(peer.batches().length, 0);
    assert.equal(peer.singles().length, 3 + 12);
    assert.equal(peer.healthProbes(), 1, 'its answer is remembered, not asked per turn');
  });

  test('a batch answered 404 is sent again item by item, and the peer gets no more batches until it is asked again', async () => {
    const peer = await startPeer(MESH_HEALTH, 'status-404');
    const s = sender();
    await oneTurn(s, ['w-0', 'w-1'].map((m) => request(peer, m)));
    await s.probesSettled();

    const rs = await oneTurn(s, ['x-0', 'forged-x-1', 'x-2'].map((m) => request(peer, m)));
    assert.deepEqual(rs.map((r) => r.status), [202, 403, 202], 'the answers of the single POSTs');
    assert.equal(peer.batches().length, 1);
    assert.deepEqual(messagesOf(peer.singles()).slice(2).sort(), ['forged-x-1', 'x-0', 'x-2']);

    const later = await oneTurn(s, ['y-0', 'y-1', 'y-2'].map((m) => request(peer, m)));
    assert.deepEqual(later.map((r) => r.status), [202, 202, 202]);
    assert.equal(peer.batches().length, 1, 'no second batch');
    assert.equal(peer.healthProbes(), 1);

    // Once the answer is stale the peer is asked again; it still advertises batch/1 and now takes them.
    peer.state.batch = 'results';
    s.clock.advance(SUPPORT_TTL_MS + 1);
    await oneTurn(s, ['z-0', 'z-1'].map((m) => request(peer, m)));
    assert.equal(peer.healthProbes(), 2);
    await s.probesSettled();
    const again = await oneTurn(s, ['v-0', 'v-1'].map((m) => request(peer, m)));
    assert.deepEqual(again.map((r) => r.status), [202, 202]);
    assert.equal(peer.batches().length, 2);
  });

  test('a whole-batch 503 with Retry-After is every item\'s answer; nothing is sent again by the batcher', async () => {
    const peer = await startPeer(MESH_HEALTH, 'status-503');
    const s = sender();
    await oneTurn(s, ['w-0', 'w-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    const singlesBefore = peer.singles().length;
    const rs = await oneTurn(s, ['b-0', 'b-1', 'b-2'].map((m) => request(peer, m)));
    for (const r of rs) {
      assert.equal(r.status, 503);
      assert.equal(r.networkError, null);
      assert.equal(r.retryAfterMs, 7_000);
      // What a single POST's answer would have kept of it: its first 2 KB.
      assert.ok(r.bodySnippet.startsWith('{"ok":false,"code":"unavailable","error":"later ...'), r.bodySnippet.slice(0, 80));
      assert.equal(r.bodySnippet.length, 2048);
    }
    assert.equal(peer.batches().length, 1);
    assert.equal(peer.singles().length, singlesBefore);
  });

  test('a 200 that does not list one result per item leaves every item unanswered (batch_answer_invalid)', async () => {
    const peer = await startPeer(MESH_HEALTH, 'wrong-count');
    const s = sender();
    await oneTurn(s, ['w-0', 'w-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    const singlesBefore = peer.singles().length;
    const rs = await oneTurn(s, ['c-0', 'c-1', 'c-2'].map((m) => request(peer, m)));
    assert.deepEqual(rs.map((r) => [r.status, r.networkError, r.retryAfterMs, r.bodySnippet]), Array(3).fill([null, 'batch_answer_invalid', null, '']));
    assert.equal(peer.batches().length, 1);
    assert.equal(peer.singles().length, singlesBefore);
  });

  test('a 2xx without per-item results is not a delivery of every item (batch_answer_invalid, not 202)', async () => {
    const peer = await startPeer(MESH_HEALTH, 'accepted-no-results');
    const s = sender();
    await oneTurn(s, ['w-0', 'w-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    const rs = await oneTurn(s, ['d-0', 'd-1'].map((m) => request(peer, m)));
    assert.equal(peer.batches().length, 1);
    assert.deepEqual(rs.map((r) => [r.status, r.networkError]), [[null, 'batch_answer_invalid'], [null, 'batch_answer_invalid']]);
  });

  test('a peer whose /health fails gets single POSTs, and is asked again only after a while', async () => {
    const peer = await startPeer(MESH_HEALTH);
    peer.server.respond = (req, res) => (req.url === '/health' ? json(res, 500, { ok: false }) : json(res, 202, { ok: true, id: 'x' }));
    const s = sender();
    await oneTurn(s, ['f-0', 'f-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    await oneTurn(s, ['f-2', 'f-3'].map((m) => request(peer, m)));
    assert.equal(peer.healthProbes(), 1);
    s.clock.advance(UNKNOWN_RETRY_MS + 1);
    await oneTurn(s, ['f-4', 'f-5'].map((m) => request(peer, m)));
    assert.equal(peer.healthProbes(), 2);
    assert.equal(peer.batches().length, 0);
    assert.equal(peer.singles().length, 6);
  });

  test('a request alone in its turn goes as before and never triggers a probe', async () => {
    const peer = await startPeer(MESH_HEALTH);
    const s = sender();
    for (let i = 0; i < 5; i++) assert.equal((await s.batcher.send(request(peer, `solo-${i}`))).status, 202);
    // Without batchBase (a session-routed or relayed POST) requests are never grouped, even together.
    const plain = await oneTurn(s, [0, 1, 2].map((i) => request(peer, `plain-${i}`, { batchBase: undefined })));
    assert.deepEqual(plain.map((r) => r.status), [202, 202, 202]);
    assert.equal(peer.healthProbes(), 0);
    assert.equal(peer.batches().length, 0);
    assert.equal(peer.singles().length, 8);
  });

  test('items over BATCH_ITEM_MAX_BYTES go alone; the others still share a batch', async () => {
    const peer = await startPeer(MESH_HEALTH);
    const s = sender();
    await oneTurn(s, ['w-0', 'w-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    const big = `big-${'q'.repeat(BATCH_ITEM_MAX_BYTES)}`;
    const justFits = `fit-${'r'.repeat(BATCH_ITEM_MAX_BYTES - hookBody('fit-').length - 2 - 4)}`;
    assert.equal(Buffer.byteLength(JSON.stringify(hookBody(justFits))), BATCH_ITEM_MAX_BYTES);
    const rs = await oneTurn(s, [request(peer, 'e-0'), request(peer, big), request(peer, justFits), request(peer, 'e-1')]);
    assert.deepEqual(rs.map((r) => [r.status, r.networkError]), Array(4).fill([202, null]));
    const [batch] = peer.batches();
    assert.ok(batch && peer.batches().length === 1);
    assert.deepEqual(batchItems(batch), [hookBody('e-0'), hookBody(justFits), hookBody('e-1')]);
    assert.deepEqual(messagesOf(peer.singles()).slice(2), [big]);
  });

  test(`70 items in one turn go as ${BATCH_MAX_ITEMS} + 6; large items are split to stay within BATCH_MAX_BYTES`, async () => {
    const peer = await startPeer(MESH_HEALTH);
    const s = sender();
    await oneTurn(s, ['w-0', 'w-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    const names = Array.from({ length: 70 }, (_, i) => `n-${i}`);
    const rs = await oneTurn(s, names.map((m) => request(peer, m)));
    assert.deepEqual(rs.map((r) => JSON.parse(r.bodySnippet) as unknown), names.map((id) => ({ ok: true, id })), 'every caller got its own item\'s answer');
    assert.deepEqual(peer.batches().map((b) => batchItems(b).length).sort((a, b) => b - a), [BATCH_MAX_ITEMS, 6]);
    assert.deepEqual(peer.batches().flatMap(batchItems).sort(), names.map(hookBody).sort());

    // 20 items of ~60 KB: a batch never exceeds what a receiver takes (1 MiB), and nothing is lost.
    const bulky = Array.from({ length: 20 }, (_, i) => `bulk-${i}-${'é'.repeat(30_000)}`);
    const before = peer.batches().length;
    const bs = await oneTurn(s, bulky.map((m) => request(peer, m)));
    assert.deepEqual(bs.map((r) => r.status), Array(20).fill(202));
    const sent = peer.batches().slice(before);
    assert.ok(sent.length >= 2, `${sent.length} batches`);
    for (const b of sent) assert.ok(b.body.length <= BATCH_MAX_BYTES, `a batch of ${b.body.length} bytes`);
    assert.deepEqual(sent.flatMap(batchItems).sort(), bulky.map(hookBody).sort());
    assert.equal(peer.singles().length, 2);
  });

  test('requests with different tokens or hooks in one turn never share a batch', async () => {
    const peer = await startPeer(MESH_HEALTH);
    const s = sender();
    await oneTurn(s, ['w-0', 'w-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    const other = 'another-token-of-another-sender';
    await oneTurn(s, [request(peer, 'k-0'), request(peer, 'k-1', { token: other }), request(peer, 'k-2'), request(peer, 'k-3', { token: other })]);
    const tokens = peer.batches().map((b) => [b.headers['authorization'], batchItems(b)]);
    assert.deepEqual(tokens.sort(), [
      [`Bearer ${TOKEN}`, [hookBody('k-0'), hookBody('k-2')]],
      [`Bearer ${other}`, [hookBody('k-1'), hookBody('k-3')]],
    ].sort());
  });

  test('the token never appears in any bodySnippet, whole or in part, even when the peer echoes it', async () => {
    const peer = await startPeer(MESH_HEALTH);
    const s = sender();
    const probe = await oneTurn(s, ['echo-0', 'echo-1'].map((m) => request(peer, m)));
    await s.probesSettled();
    const batched = await oneTurn(s, ['echo-2', 'echo-3'].map((m) => request(peer, m)));
    assert.equal(peer.batches().length, 1);
    peer.state.batch = 'results-escaped';
    batched.push(...await oneTurn(s, ['echo-4', 'echo-5'].map((m) => request(peer, m))));
    assert.equal(peer.batches().length, 2);
    assert.deepEqual(batched.map((r) => r.status), [400, 400, 400, 400]);
    peer.state.batch = 'echo-token-401';
    const refused = await oneTurn(s, ['e-4', 'e-5'].map((m) => request(peer, m)));
    assert.deepEqual(refused.map((r) => r.status), [401, 401]);
    const all = [...probe, ...batched, ...refused];
    for (const r of all) {
      assert.ok(!r.bodySnippet.includes(TOKEN.slice(0, 8)), `a snippet shows the token (or its start): …${r.bodySnippet.slice(-60)}`);
      assert.ok(r.bodySnippet.length <= 2048 + 3, `a snippet of ${r.bodySnippet.length} characters`);
    }
    for (const r of refused) assert.match(r.bodySnippet, /\[redacted\]/);
  });
});

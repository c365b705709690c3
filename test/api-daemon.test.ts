/**
 * The local API of a real `mesh serve` over real sockets, with other `mesh` processes writing to
 * the same home: the event stream resumes after a disconnect with no gap and no duplicate (events
 * from the daemon and from CLI processes), a client that stops reading is cut off while another
 * receives everything, requests get their answers from a peer's handler, and hook tokens never open
 * the API (nor the API token the hooks).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openNode } from '../src/node/mesh-node.ts';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import { SseReader } from './support/sse-reader.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

const SSE_STALL_MS = 10_000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function stream(url: string, headers: Record<string, string> = {}): Promise<{ reader: SseReader; abort: () => void }> {
  const ac = new AbortController();
  const r = await fetch(url, { headers, signal: ac.signal });
  if (r.status !== 200) assert.fail(`${r.status}: ${await r.text()}`);
  return { reader: new SseReader(r.body as ReadableStream<Uint8Array>), abort: () => ac.abort() };
}

describe('mesh serve: the local API over real sockets', () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let api: string;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    alpha = cluster.node('alpha');
    beta = cluster.node('beta');
    // A small buffer so a burst overflows it; a stall long enough that a healthy reader in this
    // process, paused by a loaded machine, is not mistaken for one that stopped reading.
    alpha.updateConfig({ api: { eventStreamBufferBytes: 65_536, eventStreamStallMs: SSE_STALL_MS } });
    const handler = cluster.script('answer.mjs', [
      `#!${process.execPath}`,
      "let text = ''; process.stdin.setEncoding('utf8');",
      "process.stdin.on('data', (c) => (text += c));",
      "process.stdin.on('end', () => process.stdout.write(`answer to: ${JSON.parse(text).payload.body}\\n`));",
      '',
    ].join('\n'));
    await Promise.all([alpha.serve({ api: true }), beta.serve({ handler })]);
    api = alpha.daemon?.apiUrl as string;
    assert.match(api, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    await cluster.close();
  });

  test('SSE resume across a disconnect: events of the daemon and of CLI processes, no gap, no duplicate', async () => {
    const start = alpha.count('SELECT coalesce(max(seq), 0) AS n FROM events');
    const first = await stream(`${api}/api/events?after=${start}`);
    // From other processes: mesh send (alpha's outbox events) …
    assert.equal((await alpha.mesh(['send', 'beta', 'notification', 'one'])).code, 0);
    // … and from the daemon itself: it receives beta's message (message.received, hand-off events).
    assert.equal((await beta.mesh(['send', 'alpha', 'notification', 'two'])).code, 0);
    await first.reader.until(() => first.reader.events.some((e) => e.event === 'message.received'), BACKGROUND_WORK_TIMEOUT_MS, 'the daemon\'s message.received');
    first.abort(); // the connection drops mid-stream
    await first.reader.until(() => first.reader.ended, 5_000, 'the end of the first stream').catch(() => undefined);
    const missedFrom = Number(first.reader.lastEventId);
    assert.ok(missedFrom > start);

    // While away: more of both kinds.
    assert.equal((await alpha.mesh(['send', 'beta', 'notification', 'three'])).code, 0);
    assert.equal((await beta.mesh(['send', 'alpha', 'alert', 'four'])).code, 0);
    await waitFor('alpha to receive "four"', BACKGROUND_WORK_TIMEOUT_MS, () => (alpha.count("SELECT count(*) AS n FROM events WHERE type = 'message.received'") >= 2 ? true : undefined));

    const second = await stream(`${api}/api/events`, { 'last-event-id': first.reader.lastEventId });
    assert.equal((await alpha.mesh(['send', 'beta', 'notification', 'five'])).code, 0);
    assert.equal((await beta.mesh(['send', 'alpha', 'notification', 'six'])).code, 0);
    await waitFor('alpha to receive "six"', BACKGROUND_WORK_TIMEOUT_MS, () => (alpha.count("SELECT count(*) AS n FROM events WHERE type = 'message.received'") >= 3 ? true : undefined));
    const end = alpha.count('SELECT max(seq) AS n FROM events');
    await second.reader.until(() => second.reader.seqs().at(-1) === end, BACKGROUND_WORK_TIMEOUT_MS, `event ${end}`);
    second.abort();

    const got = [...first.reader.seqs(), ...second.reader.seqs()];
    const logged = alpha.query<{ seq: number }>('SELECT seq FROM events WHERE seq > ? AND seq <= ? ORDER BY seq', start, end).map((r) => r.seq);
    assert.deepEqual(got, logged, 'every event of the log, once, in order');
    const types = new Set([...first.reader.events, ...second.reader.events].map((e) => e.event));
    for (const t of ['message.queued', 'message.delivered', 'message.received']) assert.ok(types.has(t), `saw ${t}`);
    assert.ok(got.every((s, i) => i === 0 || s === (got[i - 1] as number) + 1), 'contiguous');
  });

  test('a client that stops reading is cut off; another one gets every event', async () => {
    const start = alpha.count('SELECT coalesce(max(seq), 0) AS n FROM events');
    const port = Number(new URL(api).port);
    const slow = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', resolve));
    slow.write(`GET /api/events?after=${start} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    slow.pause(); // never reads
    let slowBytes = 0;
    let slowEnded = false;
    slow.on('close', () => (slowEnded = true));
    const healthy = await stream(`${api}/api/events?after=${start}`);

    // ~24 MB of events, appended by another process: more than the kernel buffers hold.
    const other = openNode({ home: alpha.home, env: {} });
    const pad = 'x'.repeat(6000);
    try {
      other.store.transaction(() => {
        for (let i = 0; i < 4000; i++) other.store.events.append('bulk.test', { i, pad }, Date.now());
      });
    } finally {
      await other.close();
    }
    await healthy.reader.until(() => healthy.reader.seqs().length === 4000, BACKGROUND_WORK_TIMEOUT_MS, '4000 events');
    assert.deepEqual(healthy.reader.seqs(), Array.from({ length: 4000 }, (_, i) => start + 1 + i));
    await waitFor('the daemon to cut the slow client off', BACKGROUND_WORK_TIMEOUT_MS, () => (/stopped reading, cut off/.test(alpha.daemon?.stderr ?? '') ? true : undefined));
    slow.on('data', (c: Buffer) => (slowBytes += c.length));
    slow.on('error', () => undefined);
    slow.resume();
    await waitFor('the slow connection to end', BACKGROUND_WORK_TIMEOUT_MS, () => (slowEnded ? true : undefined));
    assert.ok(slowBytes < 4000 * 6000, `it got only part of the stream (${slowBytes} bytes)`);
    healthy.abort();
  });

  test('POST /api/request returns the answer of beta\'s handler; /api/send delivers', async () => {
    const r = await fetch(`${api}/api/request`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'beta', body: 'ping', waitSeconds: 60 }),
    });
    const b = (await r.json()) as Json;
    assert.equal(r.status, 200, JSON.stringify(b));
    assert.equal(b['response'].body, 'answer to: ping');
    assert.equal(b['response'].from, 'beta');
    assert.equal(b['response'].auth, 'hmac');
    const s = await fetch(`${api}/api/send`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'beta', type: 'notification', body: 'via the API' }),
    });
    assert.equal(((await s.json()) as Json)['results'][0].status, 'delivered');
    await waitFor('beta to have it', BACKGROUND_WORK_TIMEOUT_MS, async () => ((await beta.inbox()).some((m) => m.body === 'via the API') ? true : undefined));
  });

  test('a Host that is not the listener is refused over the wire too', async () => {
    const port = Number(new URL(api).port);
    const sock = connect(port, '127.0.0.1');
    let text = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => (text += c));
    await new Promise<void>((resolve) => sock.once('connect', resolve));
    sock.end(`GET /api/inbox HTTP/1.1\r\nHost: rebound.example:${port}\r\nConnection: close\r\n\r\n`);
    await new Promise<void>((resolve) => sock.once('close', () => resolve()));
    assert.match(text, /^HTTP\/1\.1 403/);
    assert.match(text, /"code":"forbidden_host"/);
  });
});

describe('tokens: the API token and hook tokens never open each other\'s listener', () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'], signing: false });
    alpha = cluster.node('alpha');
    alpha.updateConfig({ api: { requireToken: true } });
    await alpha.serve({ api: true });
  });
  after(async () => {
    await cluster.close();
  });

  test('hook tokens (ours, a peer\'s) are refused by the API; the API token by the hooks', async () => {
    const api = alpha.daemon?.apiUrl as string;
    const apiToken = (await alpha.mesh(['api', 'token'])).stdout.trim();
    const betaToken = cluster.node('beta').token;
    for (const token of [alpha.token, betaToken]) {
      const r = await fetch(`${api}/api/mesh`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401, 'a hook token is not the API token');
    }
    assert.equal((await fetch(`${api}/api/mesh`)).status, 401);
    assert.equal((await fetch(`${api}/api/mesh`, { headers: { authorization: `Bearer ${apiToken}` } })).status, 200);
    const hook = await fetch(`${alpha.url}/hooks/beta`, {
      method: 'POST', headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' }, body: '{"message":"{}"}',
    });
    assert.equal(hook.status, 401, 'the API token is not a hook token');
    // Rotated while the daemon runs: the old token stops working at once.
    const rotated = (await alpha.mesh(['api', 'token', '--rotate'])).stdout.trim();
    assert.notEqual(rotated, apiToken);
    assert.equal((await fetch(`${api}/api/mesh`, { headers: { authorization: `Bearer ${apiToken}` } })).status, 401);
    assert.equal((await fetch(`${api}/api/mesh`, { headers: { authorization: `Bearer ${rotated}` } })).status, 200);
  });
});

/**
 * Large attachments served by the node's real HTTP route (`GET /files/<token>/<name>`), with the
 * node's clock injected: a served file lives as long as its message's TTL (within a floor and a cap),
 * and is served with `X-Content-Type-Options: nosniff`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attachFile } from '../src/node/attachments.ts';
import { initHome } from '../src/node/init-home.ts';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import { createNodeApp, startNodeServer, type RunningReceiver } from '../src/node/node-http.ts';
import type { Attachment } from '../src/protocol/envelope.ts';
import { ManualClock } from '../src/testing/manual-clock.ts';
import { HTTP_REQUEST_TIMEOUT_MS } from './support/timeouts.ts';

describe('served files: lifetime follows the message TTL; nosniff', () => {
  const root = mkdtempSync(join(tmpdir(), 'mesh-served-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const big = join(root, 'report.txt');
  const content = Buffer.alloc(80_000, 'a fake report line\n');
  let node: MeshNode;
  let server: RunningReceiver;

  before(async () => {
    initHome({ home: join(root, 'alpha'), agent: 'alpha' });
    writeFileSync(big, content);
    node = openNode({ home: join(root, 'alpha'), env: {}, clock });
    server = await startNodeServer(createNodeApp(node, 'test'), '127.0.0.1', 0);
  });

  after(async () => {
    await server?.close();
    await node?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** GET of the attachment's path on the running server. */
  const fetchServed = (a: Attachment): Promise<Response> => {
    assert.equal(a.type, 'url');
    const path = new URL(a.type === 'url' ? a.url : '').pathname;
    return fetch(`http://127.0.0.1:${server.port}${path}`, { signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) });
  };
  const expiresIn = (a: Attachment): number => (a.type === 'url' && a.expiresAt ? Date.parse(a.expiresAt) : NaN) - clock.now();

  test('a served file comes with its declared type, X-Content-Type-Options: nosniff and a sandbox CSP', async () => {
    const res = await fetchServed(attachFile(node, big));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.match(res.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(content));
  });

  test('a file for a message with --ttl 600 is served for 600 s, then 404', async () => {
    const a = attachFile(node, big, 600);
    assert.equal(expiresIn(a), 600_000);
    const first = await fetchServed(a);
    assert.equal(first.status, 200);
    await first.arrayBuffer();

    clock.advance(599_000);
    const late = await fetchServed(a);
    assert.equal(late.status, 200, 'still served just before the TTL runs out');
    await late.arrayBuffer();
    clock.advance(1_000);
    const gone = await fetchServed(a);
    assert.equal(gone.status, 404, 'gone when the TTL has run out');
    await gone.arrayBuffer();
  });

  test('the default TTL (300 s) applies without one; a tiny TTL gets the 60 s floor, a huge one the 24 h cap', () => {
    assert.equal(expiresIn(attachFile(node, big)), 300_000);
    assert.equal(expiresIn(attachFile(node, big, 5)), 60_000);
    assert.equal(expiresIn(attachFile(node, big, 7 * 86_400)), 86_400_000);
  });
});

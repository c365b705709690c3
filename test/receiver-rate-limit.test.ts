/**
 * One peer cannot starve another (issue 8, item 5), over real loopback HTTP into the node's real
 * receiving stack (createNodeApp: HTTP adapter → group commit → inbound pipeline → SQLite), with an
 * injected clock so the token buckets refill only when the test says so.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { signEnvelopeHmac } from '../src/crypto/hmac.ts';
import { generateSigningKey } from '../src/crypto/key-files.ts';
import { attachSignature } from '../src/crypto/signature-format.ts';
import { layoutOf } from '../src/node/home.ts';
import { initHome } from '../src/node/init-home.ts';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import { createNodeApp, startNodeServer, type RunningReceiver } from '../src/node/node-http.ts';
import { readRegistryFile, writeRegistryFile } from '../src/node/registry.ts';
import { serializeJq } from '../src/protocol/canonical-json.ts';
import { buildEnvelope, type Envelope } from '../src/protocol/envelope.ts';
import { wrapForHook } from '../src/protocol/hook.ts';
import type { JsonValue } from '../src/protocol/json.ts';
import { wireTimestamp } from '../src/protocol/time.ts';
import { ManualClock } from '../src/testing/manual-clock.ts';
import { HTTP_REQUEST_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

interface Receiver {
  node: MeshNode;
  clock: ManualClock;
  token: string;
  keys: Record<'alpha' | 'gamma', string>;
  post(path: string, body: string): Promise<Answer>;
  close(): Promise<void>;
}

/** Node `beta` with peers alpha and gamma (both HMAC-signing), serving on a free loopback port. */
async function startBeta(serve: Record<string, number> = {}): Promise<Receiver> {
  const root = mkdtempSync(join(tmpdir(), 'mesh-rate-'));
  const home = join(root, 'beta');
  initHome({ home, agent: 'beta' });
  const layout = layoutOf(home);
  writeFileSync(layout.configFile, JSON.stringify({ serve }));
  const reg = readRegistryFile(layout.registryFile);
  for (const name of ['alpha', 'gamma']) reg.agents[name] = { url: 'http://127.0.0.1:9', token: `tok-${name}`, signing: 'hmac' };
  writeRegistryFile(layout.registryFile, reg);
  const keys = {
    alpha: readFileSync(generateSigningKey(home, 'alpha').path, 'utf8'),
    gamma: readFileSync(generateSigningKey(home, 'gamma').path, 'utf8'),
  };
  const clock = new ManualClock(Date.now());
  const node = openNode({ home, env: {}, clock });
  let server: RunningReceiver | null = null;
  try {
    server = await startNodeServer(createNodeApp(node, 'test'), '127.0.0.1', 0);
  } catch (e) {
    await node.close();
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  const base = `http://127.0.0.1:${server.port}`;
  const token = node.hookToken();
  return {
    node, clock, token, keys,
    async post(path, body) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST', body, signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      const json = (await res.json()) as { code?: string };
      return { status: res.status, code: json.code, retryAfter: res.headers.get('retry-after') };
    },
    async close() {
      await server?.close();
      await node.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function envelope(r: Receiver, from: 'alpha' | 'gamma', key: string | null = r.keys[from]): Envelope {
  const e = buildEnvelope({
    id: `msg_${randomUUID()}`,
    timestamp: wireTimestamp(r.clock.now()),
    from,
    to: 'beta',
    type: 'notification',
    nonce: randomBytes(16).toString('hex'),
    body: `hello from ${from}`,
  });
  return key === null ? e : attachSignature(e, signEnvelopeHmac(e, key));
}
const hookBody = (e: Envelope): string => wrapForHook(serializeJq(e as unknown as JsonValue));
const FORGED_KEY = 'ab'.repeat(32);

describe('per-sender rate limit, charged only once the sender is authenticated', { timeout: SUITE_TIMEOUT_MS }, () => {
  test('130 junk POSTs naming gamma do not get gamma\'s next genuine message refused (the issue\'s scenario)', async () => {
    const r = await startBeta();
    try {
      const junk: (() => string)[] = [
        () => '{}',
        () => 'not json at all',
        () => hookBody(envelope(r, 'gamma', FORGED_KEY)),
        () => hookBody(envelope(r, 'gamma', null)),
        () => JSON.stringify({ message: '{"protocol":"mesh/1.0","from":"gamma"}' }),
      ];
      const statuses = new Map<number, number>();
      for (let i = 0; i < 130; i++) {
        const a = await r.post('/hooks/gamma', (junk[i % junk.length] as () => string)());
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      }
      assert.equal(statuses.get(429), undefined, `junk must be refused for what it is, not rate-limited: ${JSON.stringify([...statuses])}`);
      assert.deepEqual([...statuses.keys()].sort(), [400, 403]);

      const genuine = envelope(r, 'gamma');
      const a = await r.post('/hooks/gamma', hookBody(genuine));
      assert.equal(a.status, 202, JSON.stringify(a));
      assert.equal(r.node.store.inbox.get(genuine.id)?.from, 'gamma');
    } finally {
      await r.close();
    }
  });

  test('/hooks/agent and /hooks/gamma share gamma\'s bucket; an over-rate sender gets 429 + Retry-After, others do not', async () => {
    const r = await startBeta({ rateLimitPerSecond: 1, rateLimitBurst: 3 });
    try {
      const sent = [envelope(r, 'gamma'), envelope(r, 'gamma'), envelope(r, 'gamma')];
      assert.equal((await r.post('/hooks/gamma', hookBody(sent[0] as Envelope))).status, 202);
      assert.equal((await r.post('/hooks/agent', hookBody(sent[1] as Envelope))).status, 202);
      assert.equal((await r.post('/hooks/gamma', hookBody(sent[2] as Envelope))).status, 202);

      const overViaAgent = envelope(r, 'gamma');
      const overViaPath = envelope(r, 'gamma');
      for (const [path, e] of [['/hooks/agent', overViaAgent], ['/hooks/gamma', overViaPath]] as const) {
        const a = await r.post(path, hookBody(e));
        assert.deepEqual(a, { status: 429, code: 'rate_limited', retryAfter: '1' }, path);
        assert.equal(r.node.store.inbox.get(e.id), null, 'a rate-limited message is not stored');
      }
      // alpha has its own budget.
      assert.equal((await r.post('/hooks/alpha', hookBody(envelope(r, 'alpha')))).status, 202);

      // One second later gamma has one token: the refused message, resent byte for byte, is accepted
      // (its nonce was not spent by the refusal), and the next one is refused again.
      r.clock.advance(1_000);
      assert.equal((await r.post('/hooks/agent', hookBody(overViaAgent))).status, 202);
      assert.equal((await r.post('/hooks/gamma', hookBody(overViaPath))).status, 429);
      assert.equal(r.node.store.inbox.list({ from: 'gamma' }).length, 4);
    } finally {
      await r.close();
    }
  });
});

/**
 * Two real nodes over loopback HTTP: alpha sends a request, beta answers it with correlationId set,
 * and `mesh track` / `mesh inbox` on alpha see the answer (bash's tracker never could: §13.2 #23).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { layoutOf } from '../src/node/home.ts';
import { initHome } from '../src/node/init-home.ts';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import { inboundOf } from '../src/node/node-inbound.ts';
import { readRegistryFile, writeRegistryFile } from '../src/node/registry.ts';
import { sendMessage } from '../src/node/send-message.ts';
import { createReceiverApp } from '../src/transports/http/receiver-app.ts';
import { startReceiver, type RunningReceiver } from '../src/transports/http/receiver-server.ts';
import { runCli } from './support/cli-harness.ts';

function selfToken(home: string, agent: string): string {
  const entry = readRegistryFile(layoutOf(home).registryFile).agents[agent];
  return String(entry?.['token']);
}

function addPeer(home: string, name: string, url: string, token: string): void {
  const file = layoutOf(home).registryFile;
  const reg = readRegistryFile(file);
  reg.agents[name] = { url, token, signing: false };
  writeRegistryFile(file, reg);
}

test('a request answered by a real peer shows as answered, with the reply body', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mesh-live-'));
  const homes = { alpha: join(root, 'alpha'), beta: join(root, 'beta') };
  initHome({ home: homes.alpha, agent: 'alpha' });
  initHome({ home: homes.beta, agent: 'beta' });
  const nodes: Partial<Record<'alpha' | 'beta', MeshNode>> = {};
  const receivers: RunningReceiver[] = [];
  try {
    for (const name of ['alpha', 'beta'] as const) {
      const app = createReceiverApp({
        agentName: name, version: 'test', hookToken: selfToken(homes[name], name), addressRateLimit: false,
        handle: (req) => {
          const node = nodes[name];
          if (node === undefined) return { status: 503, body: { ok: false } };
          return inboundOf(node).handle(req);
        },
      });
      receivers.push(await startReceiver({ app, port: 0 }));
    }
    const [ra, rb] = receivers as [RunningReceiver, RunningReceiver];
    addPeer(homes.alpha, 'beta', `http://127.0.0.1:${rb.port}`, selfToken(homes.beta, 'beta'));
    addPeer(homes.beta, 'alpha', `http://127.0.0.1:${ra.port}`, selfToken(homes.alpha, 'alpha'));
    nodes.alpha = openNode({ home: homes.alpha, env: {} });
    nodes.beta = openNode({ home: homes.beta, env: {} });

    const [sent] = await sendMessage(nodes.alpha, { target: 'beta', type: 'request', subject: 'disk?', body: 'How full is /var?' });
    assert.equal(sent?.status, 'delivered', JSON.stringify(sent));
    const requestId = sent?.id ?? '';

    const before = JSON.parse((await runCli(homes.alpha, ['track', '--json'])).stdout) as { requests: { id: string; status: string }[] };
    assert.deepEqual(before.requests.map((r) => [r.id, r.status]), [[requestId, 'pending']]);

    const received = nodes.beta.store.inbox.list();
    assert.equal(received[0]?.id, requestId);
    const [answer] = await sendMessage(nodes.beta, { target: 'alpha', type: 'response', subject: 'Re: disk?', body: '42 GB free', correlationId: requestId });
    assert.equal(answer?.status, 'delivered', JSON.stringify(answer));

    const after = JSON.parse((await runCli(homes.alpha, ['track', '--json'])).stdout) as { requests: { id: string; status: string; responses: number }[] };
    assert.deepEqual(after.requests.map((r) => [r.id, r.status, r.responses]), [[requestId, 'answered', 1]]);

    const check = await runCli(homes.alpha, ['track', 'check', requestId]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /status\s+answered \(1 reply\)/);
    assert.match(check.stdout, /from beta\s+response\s+\S+\s+Re: disk\?\n {4}42 GB free/);

    const inbox = JSON.parse((await runCli(homes.alpha, ['inbox', '--type', 'response', '--json'])).stdout) as { messages: { correlationId: string; body: string }[] };
    assert.deepEqual(inbox.messages.map((m) => [m.correlationId, m.body]), [[requestId, '42 GB free']]);

    const summary = JSON.parse((await runCli(homes.alpha, ['track', 'summary', '--json'])).stdout) as { requests: { responseRate: number } };
    assert.equal(summary.requests.responseRate, 1);
  } finally {
    for (const r of receivers) await r.close();
    await nodes.alpha?.close();
    await nodes.beta?.close();
    rmSync(root, { recursive: true, force: true });
  }
});

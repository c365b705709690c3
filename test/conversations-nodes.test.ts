/**
 * Three real nodes on loopback HTTP, each with its SQLite store: alpha opens a rally through the node
 * adapter (`mesh send` with the preassigned ids), beta and gamma record the invitation and answer with
 * `mesh reply`'s code path, alpha's answers land in the round; a follow-up round carries the shared
 * context (anonymised); beta's verdict reaches alpha. The inbound wiring (pipeline, then the
 * conversations service) is done here by hand: wiring it into the daemon is the next step.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createConversationOutbound } from '../src/node/conversation-outbound.ts';
import { layoutOf } from '../src/node/home.ts';
import { initHome } from '../src/node/init-home.ts';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import { conversationsOf } from '../src/node/node-conversations.ts';
import { inboundOf } from '../src/node/node-inbound.ts';
import { readRegistryFile, writeRegistryFile } from '../src/node/registry.ts';
import { replyToMessage } from '../src/node/reply.ts';
import { sendMessage } from '../src/node/send-message.ts';
import { isMeshError } from '../src/protocol/errors.ts';
import { getField } from '../src/protocol/json.ts';
import { createReceiverApp } from '../src/transports/http/receiver-app.ts';
import { startReceiver, type RunningReceiver } from '../src/transports/http/receiver-server.ts';
import { makeHome } from './support/cli-harness.ts';

const NAMES = ['alpha', 'beta', 'gamma'] as const;
type Name = (typeof NAMES)[number];

function selfToken(home: string, agent: string): string {
  return String(readRegistryFile(layoutOf(home).registryFile).agents[agent]?.['token']);
}

function addPeer(home: string, name: string, url: string, token: string): void {
  const file = layoutOf(home).registryFile;
  const reg = readRegistryFile(file);
  reg.agents[name] = { url, token, signing: false };
  writeRegistryFile(file, reg);
}

test('a two-round rally between three real nodes, with a verdict sent back to the initiator', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mesh-conv-'));
  const homes = Object.fromEntries(NAMES.map((n) => [n, join(root, n)])) as Record<Name, string>;
  for (const n of NAMES) initHome({ home: homes[n], agent: n });
  const nodes: Partial<Record<Name, MeshNode>> = {};
  const receivers: RunningReceiver[] = [];
  try {
    for (const name of NAMES) {
      const app = createReceiverApp({
        agentName: name, version: 'test', hookToken: selfToken(homes[name], name), addressRateLimit: false,
        handle: (req) => {
          const node = nodes[name];
          if (node === undefined) return { status: 503, body: { ok: false } };
          // The pipeline records conversation responses itself, inside its storing transaction.
          return inboundOf(node).handle(req);
        },
      });
      receivers.push(await startReceiver({ app, port: 0 }));
    }
    for (const a of NAMES) {
      NAMES.forEach((b, j) => {
        if (a !== b) addPeer(homes[a], b, `http://127.0.0.1:${receivers[j]?.port}`, selfToken(homes[b], b));
      });
    }
    for (const n of NAMES) nodes[n] = openNode({ home: homes[n], env: {} });
    const alpha = nodes.alpha as MeshNode;
    const beta = nodes.beta as MeshNode;
    const gamma = nodes.gamma as MeshNode;
    const conv = conversationsOf(alpha);

    const r1 = await conv.openRally({ question: 'How many active rows in orders?', targets: ['beta', 'gamma'], subject: 'rows' });
    assert.deepEqual(r1.targets.map((t) => [t.agent, t.status]), [['beta', 'delivered'], ['gamma', 'delivered']]);
    const cid = r1.conversationId;

    const atBeta = beta.store.inbox.list().find((m) => m.conversationId === cid);
    assert.equal(atBeta?.id, r1.targets[0]?.requestId, 'sent under the id recorded in the request map');
    assert.equal(atBeta?.subject, `[${cid}] rows`);
    assert.deepEqual(getField(JSON.parse(atBeta?.envelope ?? '{}'), 'replyContext'), { conversationId: cid, participants: ['beta', 'gamma'], round: 1 });
    assert.equal(atBeta?.body, 'How many active rows in orders?', 'round 1 is blind');
    assert.deepEqual([conversationsOf(beta).get(cid)?.conversation.role, conversationsOf(beta).get(cid)?.conversation.initiator], ['participant', 'alpha']);

    const atGamma = gamma.store.inbox.list().find((m) => m.conversationId === cid);
    const [rb] = await replyToMessage(beta, atBeta!, 'Answer: 1260');
    const [rg] = await replyToMessage(gamma, atGamma!, '1298 rows');
    assert.deepEqual([rb?.status, rg?.status], ['delivered', 'delivered']);

    const view = conv.get(cid);
    assert.deepEqual(view?.rounds[0]?.responses.map((x) => [x.agent, x.correlatedBy, x.counted]), [['beta', 'correlation', true], ['gamma', 'correlation', true]]);
    assert.equal(view?.conversation.status, 'complete');
    const consensus = conv.consensus(cid);
    assert.deepEqual([consensus.consensus, consensus.discrepancy], ['close', 2.97]);

    const r2 = await conv.openRally({ question: 'Why do your counts differ?', targets: ['beta', 'gamma'], conversationId: cid, anonymize: true });
    assert.equal(r2.round, 2);
    const round2 = beta.store.inbox.list().find((m) => m.id === r2.targets[0]?.requestId);
    assert.match(round2?.body ?? '', /Answer [AB]:\n {2}│ Answer: 1260/);
    assert.match(round2?.body ?? '', /Answer [AB]:\n {2}│ 1298 rows/);
    assert.doesNotMatch((round2?.body ?? '').split('── Round 2 (current) ──')[0] ?? '', /beta|gamma/);
    assert.equal(conversationsOf(beta).get(cid)?.conversation.currentRound, 2);

    const verdict = await conversationsOf(beta).setVerdict(cid, 'confirmed', 'counts differ by a late batch');
    assert.equal(verdict.notified?.outcome.status, 'delivered');
    const recorded = conv.get(cid)?.conversation.verdict;
    assert.deepEqual([recorded?.verdict, recorded?.setBy, recorded?.summary], ['confirmed', 'beta', 'counts differ by a late batch']);

    assert.deepEqual(conv.search({ query: 'late batch' }), [], 'a verdict is not a response body');
    assert.deepEqual(conv.search({ query: '1298', agent: 'gamma', status: 'active' }).map((c) => c.id), [cid]);
    assert.ok(alpha.store.events.after(0).some((e) => e.type === 'consensus.set'));
  } finally {
    for (const r of receivers) await r.close();
    for (const n of NAMES) await nodes[n]?.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the node outbound adapter: the given id is used once; refusals are outcomes', async () => {
  const h = makeHome({ beta: 'http://127.0.0.1:9', gamma: 'http://127.0.0.1:9' });
  try {
    await assert.rejects(
      sendMessage(h.node, { id: 'msg_00000000-0000-4000-8000-000000000001', target: 'beta,gamma', type: 'notification', body: 'x' }),
      (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT',
    );
    const [bad] = await sendMessage(h.node, { id: 'not-an-id', target: 'beta', type: 'notification', body: 'x' });
    assert.deepEqual([bad?.status, bad?.reason], ['error', 'INVALID_ARGUMENT']);
    const [dry] = await sendMessage(h.node, { id: 'msg_00000000-0000-4000-8000-000000000002', target: 'beta', type: 'notification', body: 'x', dryRun: true });
    assert.equal(dry?.envelope?.id, 'msg_00000000-0000-4000-8000-000000000002');
    const outbound = createConversationOutbound(h.node);
    const message = {
      id: 'msg_00000000-0000-4000-8000-000000000003', target: 'zeta', type: 'request' as const, body: 'q', subject: 's',
      conversationId: 'conv_1_00000000', replyContext: null, ttlSeconds: 60, priority: 'normal',
    };
    assert.deepEqual(await outbound.send(message), { status: 'failed', error: 'UNKNOWN_AGENT' });
    const queued = await outbound.send({ ...message, target: 'beta' });
    assert.equal(queued.status, 'queued', 'nothing listens on port 9: the outbox keeps it');
    assert.equal(h.node.store.outbox.get(message.id)?.peer, 'beta');
  } finally {
    await h.cleanup();
  }
});

/**
 * A2A agents as MESH peers, with real processes on loopback: alpha knows beta only as an A2A agent
 * (`mesh join beta --a2a <card URL> <token>`, registry `transport: "a2a"`); beta is another MESH node
 * serving A2A, its agent a handler. `mesh request` reaches beta through alpha's outbox and gets the
 * task's answer as the correlated MESH response; with beta down the request queues, is retried and
 * delivered once beta is back (one task on beta: the retry is the same messageId); a rally mixes a
 * hook peer (gamma) and the A2A peer, and both answers join the round.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

const TOKEN = 'alpha-a2a-token-0123456789abcdef';
let cluster: MeshCluster;
let alpha: ClusterNode;
let beta: ClusterNode;
let gamma: ClusterNode;

before(async () => {
  cluster = await MeshCluster.create({
    agents: ['alpha', 'beta', 'gamma'],
    config: { delivery: { retryDelaysMs: [0, 300, 500, 1000, 1000, 1000, 2000, 2000, 2000, 2000], breakerFailureThreshold: 50 } },
  });
  [alpha, beta, gamma] = ['alpha', 'beta', 'gamma'].map((n) => cluster.node(n)) as [ClusterNode, ClusterNode, ClusterNode];
  beta.updateConfig({ a2a: { enabled: true, pollIntervalMs: 50 } });
  beta.updateRegistry((reg) => {
    reg['a2aClients'] = { alpha: { token: TOKEN } };
  });
  alpha.updateConfig({ a2a: { followIntervalMs: 200 } });
  const answer = cluster.script('answer.sh', '#!/bin/sh\necho "$MESH_AGENT_NAME-ish answer: 1260"\n');
  await Promise.all([beta.serve({ handler: answer }), gamma.serve({ handler: answer })]);
  await alpha.serve();
});
after(async () => {
  await cluster?.close();
});

test('mesh join --a2a reads the card and makes beta an A2A peer', async () => {
  const joined = await alpha.meshJson<{ ok: boolean; transport: string; endpoint: string; cardName: string }>(['join', 'beta', '--a2a', beta.url, TOKEN]);
  assert.deepEqual([joined.ok, joined.transport, joined.endpoint, joined.cardName], [true, 'a2a', `${beta.url}/a2a/v1`, 'beta']);
  const entry = alpha.registry().agents['beta'] as Record<string, unknown>;
  assert.equal(entry['transport'], 'a2a');
  assert.equal(entry['token'], TOKEN);
  const human = await alpha.mesh(['join', 'beta', '--a2a', 'http://127.0.0.1:1/', TOKEN]);
  assert.notEqual(human.code, 0, 'an unreachable card is refused, nothing written');
  assert.equal((alpha.registry().agents['beta'] as Record<string, unknown>)['url'], `${beta.url}/a2a/v1`);
});

test('mesh request to the A2A peer returns its task`s answer as the MESH response', async () => {
  const r = await alpha.meshJson<{ ok: boolean; request: { id: string }; response: { from: string; body: string; auth: string } }>(['request', 'beta', 'how many rows?', '--wait', '120']);
  assert.equal(r.ok, true);
  assert.equal(r.response.from, 'beta');
  assert.equal(r.response.auth, 'a2a-bearer');
  assert.match(r.response.body, /answer: 1260$/);
  // On beta it was an A2A task from the client "alpha", answered by its handler.
  const tasks = beta.query<{ state: string; client: string; message_id: string }>('SELECT state, client, message_id FROM a2a_tasks WHERE message_id = ?', r.request.id);
  assert.deepEqual(tasks.map((t) => ({ ...t })), [{ state: 'TASK_STATE_COMPLETED', client: 'alpha', message_id: r.request.id }]);
  const audit = alpha.query<{ status: string }>("SELECT status FROM audit WHERE msg_id = ? AND direction = 'out'", r.request.id).map((a) => a.status);
  assert.ok(audit.includes('sent'), `audit: ${audit.join(',')}`);
});

test('with the A2A peer down the request queues, is retried, and is answered once it is back', async () => {
  await beta.daemon?.stop();
  const pending = alpha.meshJson<{ ok: boolean; request: { id: string }; response: { body: string } }>(['request', 'beta', 'are you back?', '--wait', '120']);
  await waitFor('a failed attempt', BACKGROUND_WORK_TIMEOUT_MS, () =>
    alpha.count("SELECT COUNT(*) AS n FROM outbox WHERE peer = 'beta' AND state = 'pending' AND attempts >= 1") > 0 || undefined, 100);
  await beta.serve({ handler: cluster.path('answer.sh') });
  const r = await pending;
  assert.equal(r.ok, true);
  assert.match(r.response.body, /answer: 1260$/);
  assert.equal(beta.count('SELECT COUNT(*) AS n FROM a2a_tasks WHERE message_id = ?', r.request.id), 1);
  assert.equal(beta.count("SELECT COUNT(*) AS n FROM inbox WHERE body = 'are you back?'"), 1, 'the agent got it once');
});

test('a rally to a hook peer and an A2A peer: both answers join the round', async () => {
  const rally = await alpha.meshJson<{ roundStatus: string; answers: { agent: string; body: string }[] }>(['rally', 'How many active rows?', '--agents', 'beta,gamma', '--wait', '120']);
  assert.equal(rally.roundStatus, 'complete');
  const byAgent = rally.answers.map((a) => [a.agent, a.body]).sort();
  const diag = JSON.stringify(alpha.query("SELECT status, detail, direction, type FROM audit WHERE to_agent = 'beta' OR from_agent = 'beta' ORDER BY seq DESC LIMIT 8"));
  assert.equal(byAgent.length, 2, `${JSON.stringify(rally)} ${diag}`);
  assert.equal(byAgent[0]?.[0], 'beta');
  assert.match(String(byAgent[0]?.[1]), /answer: 1260$/);
  assert.equal(byAgent[1]?.[0], 'gamma');
  const r = await gamma.mesh(['inbox', '--json']);
  assert.equal(r.code, 0, describeRun(r));
});

test('mesh converse to the A2A peer: the framed question reaches it as an A2A task and its answer joins the conversation', async () => {
  const conv = await alpha.meshJson<{ ok: boolean; type: string; conversationId: string; roundStatus: string; answers: { agent: string; body: string }[] }>(
    ['converse', 'opinion', 'Should we shard the orders table?', '--agents', 'beta', '--wait', '120']);
  assert.equal(conv.ok, true, JSON.stringify(conv));
  assert.equal(conv.type, 'opinion');
  assert.equal(conv.roundStatus, 'complete');
  assert.deepEqual(conv.answers.map((a) => a.agent), ['beta']);
  assert.match(String(conv.answers[0]?.body), /answer: 1260$/);
  // On beta it was one A2A task from the client "alpha", carrying the opinion framing.
  const onBeta = beta.query<{ body: string; from_agent: string }>("SELECT body, from_agent FROM inbox WHERE body LIKE '%Should we shard the orders table?%'");
  assert.equal(onBeta.length, 1);
  assert.equal(onBeta[0]?.from_agent, 'alpha');
  assert.match(String(onBeta[0]?.body), /^\[OPINION REQUESTED\]/);
  // The conversation on alpha holds the answer under its round.
  const shown = await alpha.meshJson<{ id: string; type: string; rounds: { responses: { agent: string; body: string; counted: boolean }[] }[] }>(['conv', 'show', conv.conversationId]);
  assert.deepEqual([shown.id, shown.type], [conv.conversationId, 'opinion']);
  assert.deepEqual(shown.rounds.flatMap((r) => r.responses.map((x) => [x.agent, x.counted])), [['beta', true]]);
});

/**
 * Real `mesh serve` daemons on loopback, driven through the real CLI: signed and encrypted requests,
 * replies correlated to their request, `mesh request --wait` answered by a MESH_HANDLER script,
 * broadcast to `all` and to a @group, a hyphenated agent name, and the exit codes of `mesh send`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, waitFor, type ClusterNode, type InboxView } from './support/mesh-cluster.ts';
import { describeRun, freePort } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, CLI_WAIT_RUN_TIMEOUT_MS, CLI_WAIT_SECONDS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const ID_RE = /^msg_[0-9a-f-]{36}$/;

function ids(stdout: string): string[] {
  return stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

async function inboxMessage(node: ClusterNode, id: string): Promise<InboxView> {
  return waitFor(`${id} in ${node.name}'s inbox`, BACKGROUND_WORK_TIMEOUT_MS, async () => (await node.inbox()).find((m) => m.id === id));
}

/** The stored wire envelope of an inbox message (what travelled, before decryption). */
function storedEnvelope(node: ClusterNode, id: string): { payload: { body: string; encrypted?: boolean; subject: string }; signature?: string } {
  const [row] = node.query<{ envelope: string }>('SELECT envelope FROM inbox WHERE id = ?', id);
  assert.ok(row, `${id} stored on ${node.name}`);
  return JSON.parse(row.envelope) as { payload: { body: string; encrypted?: boolean; subject: string }; signature?: string };
}

describe('mesh serve round trips between real daemons', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let gamma: ClusterNode;
  let worker: ClusterNode;

  before(async () => {
    const t0 = performance.now();
    cluster = await MeshCluster.create({
      agents: ['alpha', 'beta', 'gamma', 'worker-a'],
      encryption: 'aes-256-cbc',
      groups: { ops: ['beta', 'gamma'] },
    });
    [alpha, beta, gamma, worker] = ['alpha', 'beta', 'gamma', 'worker-a'].map((n) => cluster.node(n)) as [ClusterNode, ClusterNode, ClusterNode, ClusterNode];
    // gamma answers requests through a handler: "<a>*<b>" → the product, plus what the env said.
    const handler = cluster.script('answer.mjs', [
      `#!${process.execPath}`,
      "let text = ''; process.stdin.setEncoding('utf8');",
      "process.stdin.on('data', (c) => (text += c));",
      "process.stdin.on('end', () => {",
      '  const env = JSON.parse(text);',
      '  const m = /^(\\d+)\\*(\\d+)$/.exec(env.payload.body);',
      "  const value = m ? String(Number(m[1]) * Number(m[2])) : 'no idea';",
      "  process.stdout.write(`${value} (for ${process.env.MESH_FROM}, ${process.env.MESH_TYPE} ${process.env.MESH_ID === env.id ? 'id ok' : 'id mismatch'})\\n`);",
      '});',
      '',
    ].join('\n'));
    await Promise.all([alpha.serve(), beta.serve(), gamma.serve({ handler }), worker.serve()]);
    console.log(`# cluster of 4 set up and serving in ${Math.round(performance.now() - t0)} ms`);
  });

  after(async () => {
    await cluster?.close();
  });

  test('signed request alpha → beta, mesh reply → alpha gets the correlated response', async () => {
    const sent = await alpha.mesh(['send', 'beta', 'request', '2+2?']);
    assert.equal(sent.code, 0, describeRun(sent));
    const [requestId] = ids(sent.stdout);
    assert.match(requestId ?? '', ID_RE);

    const got = await inboxMessage(beta, requestId as string);
    assert.deepEqual([got.from, got.type, got.body, got.auth], ['alpha', 'request', '2+2?', 'hmac']);
    assert.match(storedEnvelope(beta, got.id).signature ?? '', /.+/, 'travelled signed');

    const replied = await beta.mesh(['reply', got.id, '4']);
    assert.equal(replied.code, 0, describeRun(replied));
    const [responseId] = ids(replied.stdout);
    const response = await inboxMessage(alpha, responseId as string);
    assert.deepEqual(
      [response.from, response.type, response.body, response.correlationId, response.auth],
      ['beta', 'response', '4', requestId, 'hmac'],
    );
  });

  test('--encrypt with aes-256-cbc: ciphertext on the wire, plaintext in the inbox', async () => {
    const sent = await alpha.mesh(['send', 'beta', 'notification', 'launch code 1234', '--encrypt']);
    assert.equal(sent.code, 0, describeRun(sent));
    const [id] = ids(sent.stdout);
    const got = await inboxMessage(beta, id as string);
    assert.equal(got.body, 'launch code 1234');
    const wire = storedEnvelope(beta, got.id);
    assert.equal(wire.payload.encrypted, true);
    assert.equal((JSON.parse(wire.payload.body) as { enc: string }).enc, 'aes-256-cbc');
    assert.ok(!JSON.stringify(wire).includes('1234'), 'no plaintext in the wire envelope (body or subject)');
  });

  test('registry on aes-256-gcm on both sides: gcm on the wire; a cbc body from a gcm peer is refused', async () => {
    cluster.setEncryption('aes-256-gcm');
    try {
      // The daemon reads its registry at start: restart beta so it enforces gcm for alpha.
      await beta.daemon?.stop();
      await beta.serve();
      const sent = await alpha.mesh(['send', 'beta', 'request', 'gcm secret 77', '--encrypt']);
      assert.equal(sent.code, 0, describeRun(sent));
      const got = await inboxMessage(beta, ids(sent.stdout)[0] as string);
      assert.equal(got.body, 'gcm secret 77');
      assert.equal((JSON.parse(storedEnvelope(beta, got.id).payload.body) as { enc: string }).enc, 'aes-256-gcm');

      // alpha falls back to cbc while beta expects gcm: refused (400 decrypt_failed) → dead-lettered.
      alpha.updateRegistry((reg) => ((reg.agents['beta'] as Record<string, unknown>)['encryption'] = 'aes-256-cbc'));
      const downgraded = await alpha.mesh(['send', 'beta', 'notification', 'downgraded', '--encrypt', '--json']);
      assert.equal(downgraded.code, 11, describeRun(downgraded));
      const res = JSON.parse(downgraded.stdout) as { results: { status: string; httpStatus: number; id: string }[] };
      assert.deepEqual([res.results[0]?.status, res.results[0]?.httpStatus], ['dead_lettered', 400]);
      assert.equal(beta.count('SELECT count(*) FROM inbox WHERE id = ?', res.results[0]?.id ?? ''), 0);
    } finally {
      cluster.setEncryption('aes-256-cbc');
      await beta.daemon?.stop();
      await beta.serve();
    }
  });

  test('mesh request --wait prints the answer of beta\'s MESH_HANDLER (here gamma\'s)', async () => {
    const r = await alpha.mesh(['request', 'gamma', '6*7', '--wait', String(CLI_WAIT_SECONDS)], { timeoutMs: CLI_WAIT_RUN_TIMEOUT_MS });
    assert.equal(r.code, 0, describeRun(r));
    // An agent reads stdout as the answer: nothing else may be there; status lines go to stderr.
    assert.equal(r.stdout, '42 (for alpha, request id ok)\n');
    assert.match(r.stderr, /gamma: delivered \(HTTP 202\) msg_/);
    console.log(`# mesh request --wait answered in ${r.ms} ms (process start to exit)`);

    const json = await alpha.meshJson<{ ok: boolean; request: { id: string }; response: { from: string; body: string } }>(
      ['request', 'gamma', '12*12', '--wait', String(CLI_WAIT_SECONDS)], 0, { timeoutMs: CLI_WAIT_RUN_TIMEOUT_MS });
    assert.equal(json.ok, true);
    assert.deepEqual([json.response.from, json.response.body], ['gamma', '144 (for alpha, request id ok)']);
    const stored = (await alpha.inbox()).find((m) => m.correlationId === json.request.id);
    assert.equal(stored?.type, 'response');
  });

  test('broadcast to all reaches every peer; @ops reaches exactly its members', async () => {
    const all = await alpha.mesh(['send', 'all', 'notification', 'maintenance at 22:00']);
    assert.equal(all.code, 0, describeRun(all));
    const allIds = ids(all.stdout);
    assert.equal(allIds.length, 3);
    for (const node of [beta, gamma, worker]) {
      const hits = (await node.inbox()).filter((m) => allIds.includes(m.id));
      assert.equal(hits.length, 1, `${node.name} got the broadcast once`);
      assert.equal(hits[0]?.body, 'maintenance at 22:00');
    }

    const group = await alpha.mesh(['send', '@ops', 'alert', 'disk 95%']);
    assert.equal(group.code, 0, describeRun(group));
    const groupIds = ids(group.stdout);
    assert.equal(groupIds.length, 2);
    const received = async (n: ClusterNode): Promise<number> => (await n.inbox()).filter((m) => groupIds.includes(m.id)).length;
    assert.deepEqual([await received(beta), await received(gamma), await received(worker)], [1, 1, 0]);
  });

  test('a hyphenated agent name (worker-a) works both ways between MESH-TS nodes', async () => {
    const sent = await alpha.mesh(['send', 'worker-a', 'request', 'status?']);
    assert.equal(sent.code, 0, describeRun(sent));
    const got = await inboxMessage(worker, ids(sent.stdout)[0] as string);
    assert.deepEqual([got.from, got.to, got.auth], ['alpha', 'worker-a', 'hmac']);

    const replied = await worker.mesh(['reply', got.id, 'all green']);
    assert.equal(replied.code, 0, describeRun(replied));
    const response = await inboxMessage(alpha, ids(replied.stdout)[0] as string);
    assert.deepEqual([response.from, response.correlationId, response.body, response.auth], ['worker-a', got.id, 'all green', 'hmac']);

    const toBeta = await worker.mesh(['send', 'beta', 'notification', 'from a hyphen']);
    assert.equal(toBeta.code, 0, describeRun(toBeta));
    assert.equal((await inboxMessage(beta, ids(toBeta.stdout)[0] as string)).from, 'worker-a');
  });

  test('mesh send exit codes: 10 queued (port closed), 11 dead-lettered (401), 2 usage', async () => {
    const closed = await freePort();
    const join = await alpha.mesh(['join', 'ghost', '127.0.0.1', String(closed), 'ghost-token', '--no-probe']);
    assert.equal(join.code, 0, describeRun(join));
    const queued = await alpha.mesh(['send', 'ghost', 'notification', 'anyone there?']);
    assert.equal(queued.code, 10, describeRun(queued));
    const [queuedId] = ids(queued.stdout);
    assert.match(queuedId ?? '', ID_RE);
    assert.equal(alpha.count("SELECT count(*) FROM outbox WHERE id = ? AND state = 'pending'", queuedId as string), 1);
    assert.match(queued.stderr, /queued for retry/);

    // beta's real address with a wrong token: beta answers 401, which no retry can fix.
    const wrong = await alpha.mesh(['join', 'beta-badtoken', '127.0.0.1', String(beta.port), 'not-the-token', '--no-probe']);
    assert.equal(wrong.code, 0, describeRun(wrong));
    const dead = await alpha.mesh(['send', 'beta-badtoken', 'notification', 'let me in', '--json']);
    assert.equal(dead.code, 11, describeRun(dead));
    const res = JSON.parse(dead.stdout) as { results: { id: string; status: string; httpStatus: number }[] };
    assert.deepEqual([res.results[0]?.status, res.results[0]?.httpStatus], ['dead_lettered', 401]);
    assert.equal(alpha.count('SELECT count(*) FROM dead_letters WHERE id = ?', res.results[0]?.id ?? ''), 1);

    for (const args of [['send', 'beta'], ['send', 'beta', 'shout', 'hi'], ['send', 'nobody', 'notification', 'hi']]) {
      const r = await alpha.mesh(args);
      assert.equal(r.code, 2, describeRun(r));
      assert.equal(r.stdout, '', 'usage errors print no message id');
    }
    // Clean up so alpha's daemon stops retrying the ghost.
    await alpha.mesh(['queue', 'purge', 'ghost', '--yes']);
  });
});

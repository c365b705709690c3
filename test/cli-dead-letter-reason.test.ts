/**
 * The sender's dead letter says why the receiver refused a message: a real `mesh serve` (beta) whose
 * signing key for alpha differs from alpha's answers 403 `signature_invalid`, and alpha's real CLI
 * shows `client_error_403:signature_invalid` in `mesh send`, `mesh dlq list/show` and its audit log,
 * not only bash's bare `client_error_403`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const REASON = 'client_error_403:signature_invalid';

describe('dead letters record the receiver\'s reason code', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    // beta now holds another key for alpha than alpha signs with: every message from alpha is forged to beta.
    writeFileSync(join(beta.home, 'config', 'signing-keys', 'alpha.key'), 'cd'.repeat(32), { mode: 0o600 });
    await beta.serve();
  });
  after(async () => {
    await cluster?.close();
  });

  test('mesh send, mesh dlq list/show and the audit log carry client_error_403:signature_invalid', async () => {
    const human = await alpha.mesh(['send', 'beta', 'notification', 'hello beta']);
    assert.equal(human.code, 11, describeRun(human));
    assert.match(human.stderr, new RegExp(`beta: dead-lettered \\(${REASON}\\) msg_`), describeRun(human));

    const json = await alpha.meshJson<{ results: { id: string; status: string; reason: string; error: string; httpStatus: number }[] }>(
      ['send', 'beta', 'notification', 'hello again'], 11);
    const [r] = json.results;
    assert.deepEqual([r?.status, r?.reason, r?.error, r?.httpStatus], ['dead_lettered', REASON, REASON, 403]);

    const list = await alpha.meshJson<{ deadLetters: { id: string; reason: string; lastError: string }[] }>(['dlq', 'list']);
    assert.deepEqual(list.deadLetters.map((l) => [l.reason, l.lastError]), [[REASON, REASON], [REASON, REASON]]);

    const show = await alpha.mesh(['dlq', 'show', r?.id ?? '']);
    assert.equal(show.code, 0, describeRun(show));
    assert.match(show.stdout, /reason\s+client_error_403:signature_invalid — the peer refused it with HTTP 403 \(signature_invalid\).*signing key/);

    const audited = alpha.query<{ detail: string }>("SELECT detail FROM audit WHERE status = 'dead_lettered' AND msg_id = ?", r?.id ?? '');
    assert.equal(audited.length, 1);
    assert.match(audited[0]?.detail ?? '', /^client_error_403:signature_invalid; attempts 1$/);
  });
});

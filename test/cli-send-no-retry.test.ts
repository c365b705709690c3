/**
 * `mesh send --no-retry` to a peer that is down: one attempt, then the message goes to dead letters,
 * and like every other dead letter it leaves a `dead_lettered` audit entry (what `mesh log` and the
 * fleet counters read). Both ways in: the attempt failed (all_retries_exhausted), and the peer's
 * circuit was already open so no attempt was made (circuit_open).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, type ClusterNode } from './support/mesh-cluster.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

interface SendJson { results: { id: string; status: string; reason: string; attempts: number }[] }

describe('mesh send --no-retry audits its dead letters', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;

  before(async () => {
    // beta is never served: its port refuses connections.
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    alpha = cluster.node('alpha');
  });
  after(async () => {
    await cluster?.close();
  });

  const auditOf = (id: string): { status: string; detail: string }[] =>
    alpha.query<{ status: string; detail: string }>("SELECT status, detail FROM audit WHERE msg_id = ? AND status = 'dead_lettered'", id);

  test('a failed attempt and a held circuit both leave one dead_lettered audit entry', async () => {
    // The breaker opens after 3 consecutive failures (the default threshold): the 4th send finds it open.
    const reasons: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const sent = await alpha.meshJson<SendJson>(['send', 'beta', 'notification', `attempt ${i}`, '--no-retry'], 11);
      const [r] = sent.results;
      assert.equal(r?.status, 'dead_lettered', JSON.stringify(sent));
      reasons.push(r.reason);
      const audited = auditOf(r.id);
      assert.equal(audited.length, 1, `send ${i} (${r.reason}): dead_lettered audit entries ${JSON.stringify(audited)}`);
      assert.match(audited[0]?.detail ?? '', new RegExp(`^${r.reason}; attempts ${r.attempts}$`));
    }
    assert.deepEqual(reasons, ['all_retries_exhausted', 'all_retries_exhausted', 'all_retries_exhausted', 'circuit_open']);
    assert.equal(alpha.outboxPending(), 0);
    assert.equal(alpha.deadLetters(), 4);
  });
});

/**
 * Election announcements to a peer that is down: a newer election withdraws the older ones still
 * pending in the outbox for that peer (audited `superseded`), so they are not retried until their
 * TTL after they became worthless. Other messages to the peer, and other peers' rows, stay. A real
 * node (SQLite file in a temp home) sending over loopback to a port nothing listens on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { electionMetadata, electionText, ELECTION_SUBJECT, type ElectionNotice } from '../protocol/election-notice.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { initHome } from './init-home.ts';
import { layoutOf } from './home.ts';
import { openNode, type MeshNode } from './mesh-node.ts';
import { createNodeFleetOutbound } from './node-fleet-outbound.ts';
import { readRegistryFile, writeRegistryFile } from './registry.ts';
import { sendMessage } from './send-message.ts';

const T0 = Date.UTC(2026, 0, 1);

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('election announcements: a newer one replaces the pending older ones', () => {
  let root: string;
  let node: MeshNode;
  let clock: ManualClock;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'mesh-fleet-out-'));
    initHome({ home: root, agent: 'alpha' });
    const file = layoutOf(root).registryFile;
    const reg = readRegistryFile(file);
    for (const name of ['beta', 'gamma']) reg.agents[name] = { url: `http://127.0.0.1:${await closedPort()}`, token: `tok-${name}`, signing: false };
    writeRegistryFile(file, reg);
    clock = new ManualClock(T0);
    node = openNode({ home: root, env: {}, clock });
  });
  afterEach(async () => {
    await node.close();
    rmSync(root, { recursive: true, force: true });
  });

  const notice = (epoch: number, relay: string | null): ElectionNotice => ({ epoch, hub: 'hub', relay, electedBy: 'alpha', at: clock.now() });
  const announce = (target: string, n: ElectionNotice): Promise<{ status: string }> =>
    createNodeFleetOutbound(node).announce({ target, subject: ELECTION_SUBJECT, body: electionText(n), metadata: electionMetadata(n), ttlSeconds: 300 });
  const pendingEpochs = (peer: string): (number | null)[] => node.store.outbox.listPending(peer).map((m) => {
    const meta = (JSON.parse(m.envelope) as { payload: { metadata?: { meshElection?: { epoch: number } } } }).payload.metadata;
    return meta?.meshElection?.epoch ?? null;
  });

  test('epoch 2 withdraws epoch 1 for the same peer; an unrelated message and another peer keep theirs', async () => {
    assert.equal((await announce('beta', notice(1, 'gamma'))).status, 'queued');
    assert.equal((await announce('gamma', notice(1, 'gamma'))).status, 'queued');
    const [plain] = await sendMessage(node, { target: 'beta', type: 'notification', body: 'not an election' });
    assert.equal(plain?.status, 'queued');
    clock.advance(1_000);

    assert.equal((await announce('beta', notice(2, null))).status, 'queued');
    assert.deepEqual(pendingEpochs('beta').sort(), [2, null].sort());
    assert.deepEqual(pendingEpochs('gamma'), [1]);
    const superseded = node.store.audit.query({ status: 'superseded' });
    assert.equal(superseded.length, 1);
    assert.equal(superseded[0]?.to, 'beta');
    assert.match(superseded[0]?.detail ?? '', /election epoch 2 by alpha replaces it/);

    // The same election announced again (the peer came back) keeps one copy, not two.
    await announce('beta', notice(2, null));
    assert.deepEqual(pendingEpochs('beta').sort(), [2, null].sort());
  });

  test('an older election does not withdraw a newer one', async () => {
    await announce('beta', notice(5, 'gamma'));
    await announce('beta', notice(4, 'gamma'));
    assert.deepEqual(pendingEpochs('beta').sort(), [4, 5]);
  });
});

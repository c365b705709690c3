/**
 * A NATS server that requires authentication (a token, `nats-server --auth`): nodes configured with
 * `nats.tokenFile` connect and deliver; a wrong token is refused with a code (`nats_auth`), and the
 * token, right or wrong, appears in no output, log or config file (it lives only in its file).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { MeshCluster } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { inboxIds, natsFleet } from './support/nats-fleet.ts';
import { NATS_SKIP, NatsFleetServers } from './support/nats-server.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const clusters: MeshCluster[] = [];
const servers: NatsFleetServers[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

describe('NATS with authentication', { skip: NATS_SKIP, timeout: SUITE_TIMEOUT_MS }, () => {
  test('a token from nats.tokenFile connects; a wrong one is refused as nats_auth; neither is ever printed', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const token = `tok${randomBytes(12).toString('hex')}`;
    const wrong = `bad${randomBytes(12).toString('hex')}`;
    const nats = await NatsFleetServers.start(1, ['--auth', token]);
    servers.push(nats);
    const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls, natsConfig: { tokenFile: 'config/nats.token' } });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    for (const n of [alpha, beta]) writeFileSync(join(n.home, 'config', 'nats.token'), `${token}\n`, { mode: 0o600 });
    const seen: string[] = [];

    await beta.serve();
    const sent = await alpha.mesh(['send', 'beta', 'notification', 'with a token', '--json']);
    seen.push(sent.stdout, sent.stderr);
    assert.equal(sent.code, 0, describeRun(sent));
    const id = (JSON.parse(sent.stdout) as { results: { id: string; status: string }[] }).results[0];
    assert.equal(id?.status, 'delivered');
    assert.deepEqual(inboxIds(beta), [id?.id]);
    const ok = await alpha.mesh(['nats', 'status']);
    seen.push(ok.stdout, ok.stderr);
    assert.equal(ok.code, 0, describeRun(ok));

    writeFileSync(join(alpha.home, 'config', 'nats.token'), `${wrong}\n`, { mode: 0o600 });
    const refused = await alpha.mesh(['nats', 'status', '--json']);
    seen.push(refused.stdout, refused.stderr);
    assert.notEqual(refused.code, 0, describeRun(refused));
    assert.equal((JSON.parse(refused.stdout) as { error: string }).error, 'nats_auth');
    const queued = await alpha.mesh(['send', 'beta', 'notification', 'wrong token', '--json']);
    seen.push(queued.stdout, queued.stderr);
    assert.equal((JSON.parse(queued.stdout) as { results: { status: string }[] }).results[0]?.status, 'queued', describeRun(queued));

    await beta.daemon?.stop();
    seen.push(beta.daemon?.stdout ?? '', beta.daemon?.stderr ?? '');
    for (const n of [alpha, beta]) seen.push(readFileSync(n.configFile, 'utf8'));
    for (const text of seen) {
      assert.ok(!text.includes(token), 'the token is never printed or written outside its file');
      assert.ok(!text.includes(wrong), 'nor is a wrong one');
    }
  });
});

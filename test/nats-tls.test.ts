/**
 * NATS over TLS with client certificates (`nats.tls`: caFile, certFile, keyFile) against a real
 * nats-server that requires and verifies them (`--tlsverify`), with a CA, server and client
 * certificates made by `openssl` for this test: two nodes deliver over it; a node that does not trust
 * the server's certificate refuses to talk to it (`nats_tls`); a client certificate from a CA the
 * server does not trust is refused by the server (the client library sees the handshake closed:
 * `timeout`); a client key open to others is refused before connecting; the key appears nowhere.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ClusterNode, MeshCluster } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { assertSecretsKept, makeTlsFiles } from './support/nats-auth.ts';
import { inboxIds, natsFleet } from './support/nats-fleet.ts';
import { NATS_SKIP, NatsFleetServers } from './support/nats-server.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const clusters: MeshCluster[] = [];
const servers: NatsFleetServers[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface NatsStatusJson { connected: boolean; error: string | null; detail: string | null; server: { name: string } | null }
interface SendJson { results: { id: string; status: string; error?: string; transport?: string }[] }

const TLS_CONFIG = { caFile: 'config/nats-ca.pem', certFile: 'config/nats-client.pem', keyFile: 'config/nats-client.key' };

describe('NATS over TLS', { skip: NATS_SKIP, timeout: SUITE_TIMEOUT_MS }, () => {
  test('mutual TLS: delivered with the fleet\'s CA and client certificates; an untrusted server or client certificate is refused', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-nats-tls-'));
    dirs.push(dir);
    const tls = makeTlsFiles(dir);
    const nats = await NatsFleetServers.start(1, ['--tlsverify', '--tlscert', tls.server.cert, '--tlskey', tls.server.key, '--tlscacert', tls.ca]);
    servers.push(nats);
    const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls, natsConfig: { tls: TLS_CONFIG } });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    const place = (n: ClusterNode, ca: string, cert: string, key: string): void => {
      copyFileSync(ca, join(n.home, TLS_CONFIG.caFile));
      copyFileSync(cert, join(n.home, TLS_CONFIG.certFile));
      copyFileSync(key, join(n.home, TLS_CONFIG.keyFile));
      chmodSync(join(n.home, TLS_CONFIG.keyFile), 0o600);
    };
    for (const n of [alpha, beta]) place(n, tls.ca, tls.client.cert, tls.client.key);
    const seen: string[] = [];
    const run = async (args: string[]) => {
      const r = await alpha.mesh(args);
      seen.push(r.stdout, r.stderr);
      return r;
    };
    const statusError = async (): Promise<string | null> => {
      const r = await run(['nats', 'status', '--json']);
      const s = JSON.parse(r.stdout) as NatsStatusJson;
      assert.equal(s.connected, r.code === 0, describeRun(r));
      return s.error;
    };

    await beta.serve();
    const sent = await run(['send', 'beta', 'notification', 'over TLS', '--json']);
    assert.equal(sent.code, 0, describeRun(sent));
    const first = (JSON.parse(sent.stdout) as SendJson).results[0];
    assert.equal(first?.status, 'delivered');
    assert.deepEqual(inboxIds(beta), [first?.id]);
    assert.equal(await statusError(), null);
    await run(['status', '--json']);

    // alpha trusts another CA only: the server's certificate is refused, nothing is sent.
    copyFileSync(tls.rogueCa, join(alpha.home, TLS_CONFIG.caFile));
    assert.equal(await statusError(), 'nats_tls');
    const untrusted = await run(['send', 'beta', 'notification', 'untrusted server', '--json']);
    const u = (JSON.parse(untrusted.stdout) as SendJson).results[0];
    assert.deepEqual([u?.status, u?.error, u?.transport], ['queued', 'nats_tls', 'nats'], describeRun(untrusted));
    const text = await run(['nats', 'status']);
    assert.match(text.stdout, /not connected: nats_tls/);

    // alpha's client certificate is signed by a CA the server does not trust: the server refuses it.
    place(alpha, tls.ca, tls.rogueClient.cert, tls.rogueClient.key);
    assert.equal(await statusError(), 'timeout');

    // The right files, but the client key is readable by others: refused before connecting.
    place(alpha, tls.ca, tls.client.cert, tls.client.key);
    chmodSync(join(alpha.home, TLS_CONFIG.keyFile), 0o644);
    assert.equal(await statusError(), 'nats_secret_file_mode');
    // The CA and the certificate are public: their modes do not matter.
    chmodSync(join(alpha.home, TLS_CONFIG.keyFile), 0o600);
    chmodSync(join(alpha.home, TLS_CONFIG.caFile), 0o644);
    chmodSync(join(alpha.home, TLS_CONFIG.certFile), 0o644);
    assert.equal(await statusError(), null);
    const again = await run(['send', 'beta', 'notification', 'over TLS again', '--json']);
    assert.equal(again.code, 0, describeRun(again));

    await beta.daemon?.stop();
    seen.push(beta.daemon?.stdout ?? '', beta.daemon?.stderr ?? '');
    // Each base64 line of a key (a PEM leaked anywhere would carry them as they are).
    const keyLines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----'));
    const keyFiles = [alpha, beta].map((n) => join(n.home, TLS_CONFIG.keyFile));
    assertSecretsKept([...keyLines(tls.client.key), ...keyLines(tls.rogueClient.key)], seen, [alpha.home, beta.home], keyFiles);
  });
});

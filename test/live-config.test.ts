/**
 * Configuration changes reach a running `mesh serve` without a restart (issue 8, item 1): signing
 * enabled with `mesh keygen --enable`, an Ed25519 key replaced with `mesh join --public-key`, a peer
 * added with `mesh join` or taken out with `mesh peer remove`, the hand-off switched in
 * config/mesh.json. Every change is made the way a user makes it (the CLI, or an edit of the file)
 * and checked on the very next message. An invalid edit keeps the last good state and is logged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun, runMesh } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const SENT = 0;
const QUEUED = 10;
const DEAD_LETTERED = 11;

async function send(from: ClusterNode, to: string, body: string): Promise<{ code: number | null; id: string; out: string }> {
  const r = await from.mesh(['send', to, 'notification', body, '--json']);
  let id = '';
  try {
    id = String((JSON.parse(r.stdout) as { results?: { id?: string }[] }).results?.[0]?.id ?? '');
  } catch {
    // not JSON: the assertion below shows the output
  }
  return { code: r.code, id, out: describeRun(r) };
}

async function bodies(node: ClusterNode): Promise<string[]> {
  return (await node.inbox()).map((m) => m.body);
}

function publicKeyOf(home: string): string {
  return readFileSync(join(home, 'config', 'identity-ed25519.pub'), 'utf8').trim();
}

describe('a running daemon applies configuration changes to the next message', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let gamma: ClusterNode;

  before(async () => {
    cluster = await MeshCluster.create({
      agents: ['alpha', 'beta', 'gamma'],
      signing: false,
      // Short retry delays and circuit cool-down so the worker's attempts and a replay come within the
      // test's patience (the daemon's health probes of a peer that is down open its circuit, and a
      // replay waits for the cool-down like any request); enough attempts (a minute's worth) that
      // none runs out before a slow CLI run.
      config: { delivery: { retryDelaysMs: [0, 300, 600, ...Array<number>(60).fill(1000)], breakerCooldownMs: 1000 } },
    });
    alpha = cluster.node('alpha');
    beta = cluster.node('beta');
    gamma = cluster.node('gamma');
    await beta.serve();
  });

  after(async () => {
    await cluster?.close();
  });

  test('mesh keygen --enable: the next unsigned message is refused, a signed one accepted', async () => {
    const before = await send(alpha, 'beta', 'unsigned while allowed');
    assert.equal(before.code, SENT, before.out);

    const enabled = await beta.mesh(['keygen', 'alpha', '--enable']);
    assert.equal(enabled.code, 0, describeRun(enabled));
    const refused = await send(alpha, 'beta', 'unsigned after enable');
    assert.equal(refused.code, DEAD_LETTERED, refused.out);
    assert.match(refused.out, /403/);

    // alpha gets the same key and signs from now on.
    const key = await beta.mesh(['keygen', '--show', 'alpha']);
    const imported = await alpha.mesh(['keygen', '--import', 'beta', '--enable'], { input: key.stdout });
    assert.equal(imported.code, 0, describeRun(imported));
    const signed = await send(alpha, 'beta', 'signed after enable');
    assert.equal(signed.code, SENT, signed.out);

    const got = await bodies(beta);
    assert.ok(got.includes('unsigned while allowed') && got.includes('signed after enable'), got.join(' | '));
    assert.ok(!got.includes('unsigned after enable'), 'the unsigned message after --enable never reached the inbox');
    assert.equal((await beta.inbox()).find((m) => m.body === 'signed after enable')?.auth, 'hmac');
  });

  test('mesh join --public-key: a message signed with the replaced Ed25519 key is refused at once', async () => {
    const alphaKey = publicKeyOf(alpha.home);
    const other = mkdtempSync(join(tmpdir(), 'mesh-other-'));
    try {
      const init = await runMesh(['init', '--agent', 'impostor', '--home', other]);
      assert.equal(init.code, 0, describeRun(init));
      const join1 = await beta.mesh(['join', 'alpha', '127.0.0.1', String(alpha.port), alpha.token, '--no-probe', '--signing', 'ed25519', '--public-key', alphaKey]);
      assert.equal(join1.code, 0, describeRun(join1));
      const join2 = await alpha.mesh(['join', 'beta', '127.0.0.1', String(beta.port), beta.token, '--no-probe', '--signing', 'ed25519', '--public-key', publicKeyOf(beta.home)]);
      assert.equal(join2.code, 0, describeRun(join2));
      const ok = await send(alpha, 'beta', 'ed25519 with the current key');
      assert.equal(ok.code, SENT, ok.out);

      // The operator revokes alpha's key: beta now trusts another public key for alpha.
      const revoke = await beta.mesh(['join', 'alpha', '127.0.0.1', String(alpha.port), alpha.token, '--no-probe', '--signing', 'ed25519', '--public-key', publicKeyOf(other)]);
      assert.equal(revoke.code, 0, describeRun(revoke));
      const stale = await send(alpha, 'beta', 'ed25519 with the revoked key');
      assert.equal(stale.code, DEAD_LETTERED, stale.out);
      const got = await bodies(beta);
      assert.ok(got.includes('ed25519 with the current key'));
      assert.ok(!got.includes('ed25519 with the revoked key'), 'a message signed with the revoked key was accepted');
    } finally {
      // Trust alpha's real key again for the tests that follow.
      await beta.mesh(['join', 'alpha', '127.0.0.1', String(alpha.port), alpha.token, '--no-probe', '--signing', 'ed25519', '--public-key', alphaKey]);
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a peer added with mesh join is accepted without a restart; mesh peer remove refuses it again', async () => {
    const removed = await beta.mesh(['peer', 'remove', 'gamma']);
    assert.equal(removed.code, 0, describeRun(removed));
    const unknown = await send(gamma, 'beta', 'from gamma while unknown');
    assert.equal(unknown.code, DEAD_LETTERED, unknown.out);
    assert.match(unknown.out, /403/);

    const joined = await beta.mesh(['join', 'gamma', '127.0.0.1', String(gamma.port), gamma.token, '--no-probe']);
    assert.equal(joined.code, 0, describeRun(joined));
    const known = await send(gamma, 'beta', 'from gamma once joined');
    assert.equal(known.code, SENT, known.out);

    const again = await beta.mesh(['peer', 'remove', 'gamma']);
    assert.equal(again.code, 0, describeRun(again));
    const gone = await send(gamma, 'beta', 'from gamma after removal');
    assert.equal(gone.code, DEAD_LETTERED, gone.out);

    const got = await bodies(beta);
    assert.ok(got.includes('from gamma once joined'));
    assert.ok(!got.includes('from gamma while unknown') && !got.includes('from gamma after removal'));
  });

  test('an invalid registry or config edit keeps the last good state and says so in the log', async () => {
    const registry = readFileSync(beta.registryFile, 'utf8');
    const config = readFileSync(beta.configFile, 'utf8');
    const token = beta.token;
    try {
      writeFileSync(beta.registryFile, '{"agents": {"alpha": ');
      writeFileSync(beta.configFile, '{"serve": {"port": "not a number"}}');
      const r = await send(alpha, 'beta', 'while the files are broken');
      assert.equal(r.code, SENT, r.out);
      await waitFor('the refusals in the daemon log', BACKGROUND_WORK_TIMEOUT_MS, () =>
        /registry edit refused/.test(beta.daemon?.stderr ?? '') && /configuration edit refused/.test(beta.daemon?.stderr ?? '') ? true : undefined);
      assert.doesNotMatch(beta.daemon?.stderr ?? '', new RegExp(token), 'no token in the log');
    } finally {
      writeFileSync(beta.registryFile, registry, { mode: 0o600 });
      writeFileSync(beta.configFile, config);
    }
    assert.ok((await bodies(beta)).includes('while the files are broken'));
  });

  test('a lower serve.maxBodyBytes applies to the next message', async () => {
    beta.updateConfig({ serve: { maxBodyBytes: 1024 } });
    try {
      const big = await send(alpha, 'beta', 'x'.repeat(2000));
      assert.equal(big.code, DEAD_LETTERED, big.out);
      assert.match(big.out, /413|payload_too_large/);
    } finally {
      beta.updateConfig({ serve: { maxBodyBytes: 262144 } });
    }
    const ok = await send(alpha, 'beta', 'y'.repeat(2000));
    assert.equal(ok.code, SENT, ok.out);
  });

  test('the hand-off follows config/mesh.json: switched to a handler, the next message reaches it', async () => {
    const seen = cluster.path('handled.txt');
    const handler = cluster.script('record.sh', `#!/bin/sh\ncat >> '${seen}'\necho >> '${seen}'\n`);
    beta.updateConfig({ inbound: { handOff: 'handler' }, handler: { command: [handler] } });
    try {
      const r = await send(alpha, 'beta', 'handed to the new handler');
      assert.equal(r.code, SENT, r.out);
      await waitFor('the handler to get the message', BACKGROUND_WORK_TIMEOUT_MS, () => {
        try {
          return readFileSync(seen, 'utf8').includes('handed to the new handler') ? true : undefined;
        } catch {
          return undefined;
        }
      });
    } finally {
      beta.updateConfig({ inbound: { handOff: 'inbox' } });
    }
  });

  test('dead letters of a removed peer (unknown_peer) replay once it is joined again', async () => {
    await alpha.serve();
    try {
      // gamma is down: alpha queues the message and its worker keeps retrying.
      const queued = await send(alpha, 'gamma', 'queued for gamma');
      assert.equal(queued.code, QUEUED, queued.out);
      const removed = await alpha.mesh(['peer', 'remove', 'gamma']);
      assert.equal(removed.code, 0, describeRun(removed));
      await waitFor('an unknown_peer dead letter on alpha', BACKGROUND_WORK_TIMEOUT_MS, () =>
        alpha.count("SELECT count(*) AS n FROM dead_letters WHERE reason = 'unknown_peer' AND id = ?", queued.id) === 1 ? true : undefined);

      await gamma.serve();
      const rejoined = await alpha.mesh(['join', 'gamma', '127.0.0.1', String(gamma.port), gamma.token, '--no-probe']);
      assert.equal(rejoined.code, 0, describeRun(rejoined));
      await waitFor('the replayed message in gamma\'s inbox', BACKGROUND_WORK_TIMEOUT_MS, async () =>
        (await gamma.inbox()).some((m) => m.id === queued.id) ? true : undefined);
      assert.equal(alpha.count('SELECT count(*) AS n FROM dead_letters WHERE id = ?', queued.id), 0);
    } finally {
      await gamma.daemon?.stop();
      await alpha.daemon?.stop();
    }
  });
});

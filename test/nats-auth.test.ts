/**
 * NATS servers that require authentication, one per way `nats` config offers: a token
 * (`nats.tokenFile`, `nats-server --auth`), an NKey (`nats.nkeySeedFile`, a server config listing the
 * users' public keys) and a credentials file (`nats.credsFile`: user JWT + seed, an operator-mode
 * server). For each: two nodes deliver over the server; wrong credentials are refused as `nats_auth`
 * (`mesh nats status`, `mesh send` queues); and the secret, right or wrong, appears in no output, no
 * daemon log and no file of the homes but its own file. A seed or creds file open to group or others
 * is refused (`nats_secret_file_mode`) with the path and the fix, by the CLI and the daemon.
 * (The URL form user:password@host is refused by the config itself: config/nats-config.test.ts.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { waitFor, type ClusterNode, type MeshCluster } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { assertSecretsKept, nkeyServerConfig, nkeyUser, operatorSetup } from './support/nats-auth.ts';
import { inboxIds, natsFleet } from './support/nats-fleet.ts';
import { NATS_SKIP, NatsFleetServers } from './support/nats-server.ts';
import { DAEMON_LISTEN_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const clusters: MeshCluster[] = [];
const servers: NatsFleetServers[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface SendJson { results: { id: string; status: string; error?: string; transport?: string }[] }
interface NatsStatusJson { ok: boolean; connected: boolean; error: string | null; detail: string | null }

/** What a scenario needs: the server's extra arguments and each node's secret file. */
interface AuthCase {
  serverArgs: readonly string[];
  /** `nats` config key naming the file, and the file (relative to the home). */
  key: 'tokenFile' | 'nkeySeedFile' | 'credsFile';
  file: string;
  secretFor(node: string): string;
  /** A secret the server does not accept. */
  wrong: string;
  /** The substrings of each secret that must never leak (a creds file's seed; a token or seed whole). */
  leaks(text: string): string[];
}

/**
 * alpha and beta on a server that authenticates: delivered with the right secrets; alpha refused with
 * a wrong one; everything seen is checked for leaks at the end. Returns the nodes for more checks.
 */
async function authScenario(c: AuthCase, seen: string[]): Promise<{ alpha: ClusterNode; beta: ClusterNode; holders: string[]; secrets: string[] }> {
  const nats = await NatsFleetServers.start(1, [...c.serverArgs]);
  servers.push(nats);
  const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls, natsConfig: { [c.key]: c.file } });
  clusters.push(cluster);
  const alpha = cluster.node('alpha');
  const beta = cluster.node('beta');
  const holders = [alpha, beta].map((n) => join(n.home, c.file));
  const secrets = [...c.leaks(c.secretFor('alpha')), ...c.leaks(c.secretFor('beta')), ...c.leaks(c.wrong)];
  for (const n of [alpha, beta]) writeFileSync(join(n.home, c.file), c.secretFor(n.name), { mode: 0o600 });
  const run = async (n: ClusterNode, args: string[]) => {
    const r = await n.mesh(args);
    seen.push(r.stdout, r.stderr);
    return r;
  };

  await beta.serve();
  const sent = await run(alpha, ['send', 'beta', 'notification', `with a ${c.key}`, '--json']);
  assert.equal(sent.code, 0, describeRun(sent));
  const r = (JSON.parse(sent.stdout) as SendJson).results[0];
  assert.equal(r?.status, 'delivered');
  assert.deepEqual(inboxIds(beta), [r?.id]);
  const ok = await run(alpha, ['nats', 'status', '--json']);
  assert.equal(ok.code, 0, describeRun(ok));
  assert.equal((JSON.parse(ok.stdout) as NatsStatusJson).connected, true);
  for (const args of [['nats', 'status'], ['status', '--json'], ['status']]) await run(alpha, args);

  writeFileSync(join(alpha.home, c.file), c.wrong, { mode: 0o600 });
  const refused = await run(alpha, ['nats', 'status', '--json']);
  assert.notEqual(refused.code, 0, describeRun(refused));
  assert.equal((JSON.parse(refused.stdout) as NatsStatusJson).error, 'nats_auth', describeRun(refused));
  const queued = await run(alpha, ['send', 'beta', 'notification', `wrong ${c.key}`, '--json']);
  assert.deepEqual(pickResult(queued.stdout), { status: 'queued', error: 'nats_auth', transport: 'nats' }, describeRun(queued));
  await run(alpha, ['nats', 'status']);
  await run(alpha, ['status', '--json']);
  return { alpha, beta, holders, secrets };
}

function pickResult(stdout: string): Record<string, unknown> {
  const r = (JSON.parse(stdout) as SendJson).results[0];
  return { status: r?.status, error: r?.error, transport: r?.transport };
}

/** The daemon's output once it has stopped. */
async function stopped(n: ClusterNode): Promise<string[]> {
  await n.daemon?.stop();
  return [n.daemon?.stdout ?? '', n.daemon?.stderr ?? ''];
}

describe('NATS with authentication', { skip: NATS_SKIP, timeout: SUITE_TIMEOUT_MS }, () => {
  test('a token from nats.tokenFile connects; a wrong one is refused as nats_auth; neither is ever printed or stored', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const token = `tok${randomBytes(12).toString('hex')}`;
    const seen: string[] = [];
    const s = await authScenario({
      serverArgs: ['--auth', token], key: 'tokenFile', file: 'config/nats.token',
      secretFor: () => `${token}\n`, wrong: `bad${randomBytes(12).toString('hex')}\n`, leaks: (t) => [t.trim()],
    }, seen);
    seen.push(...await stopped(s.beta));
    assertSecretsKept(s.secrets, seen, [s.alpha.home, s.beta.home], s.holders);
  });

  test('an NKey seed from nats.nkeySeedFile connects; an unknown or broken seed is refused; a seed file open to others is refused with the fix', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const users = { alpha: nkeyUser(), beta: nkeyUser() };
    const stranger = nkeyUser(); // a valid seed the server does not list
    const dir = mkdtempSync(join(tmpdir(), 'mesh-nats-nkey-'));
    dirs.push(dir);
    const seen: string[] = [];
    const s = await authScenario({
      serverArgs: ['-c', nkeyServerConfig(dir, [users.alpha, users.beta])], key: 'nkeySeedFile', file: 'config/nats.nk',
      secretFor: (n) => `${users[n as 'alpha' | 'beta'].seed}\n`, wrong: `${stranger.seed}\n`, leaks: (t) => [t.trim()],
    }, seen);
    const { alpha, beta } = s;
    const seedFile = join(alpha.home, 'config', 'nats.nk');

    // Not a seed at all: refused before the server is asked, and the text is not echoed.
    const broken = `SU${randomBytes(20).toString('hex').toUpperCase()}`;
    s.secrets.push(broken);
    writeFileSync(seedFile, broken, { mode: 0o600 });
    const bad = await alpha.mesh(['nats', 'status', '--json']);
    seen.push(bad.stdout, bad.stderr);
    assert.notEqual(bad.code, 0, describeRun(bad));
    assert.equal((JSON.parse(bad.stdout) as NatsStatusJson).error, 'nats_credentials_invalid', describeRun(bad));

    // The right seed, but readable by others: refused, naming the file and the fix.
    writeFileSync(seedFile, `${users.alpha.seed}\n`, { mode: 0o600 });
    chmodSync(seedFile, 0o644);
    const loose = await alpha.mesh(['nats', 'status', '--json']);
    seen.push(loose.stdout, loose.stderr);
    const ls = JSON.parse(loose.stdout) as NatsStatusJson;
    assert.equal(ls.error, 'nats_secret_file_mode', describeRun(loose));
    assert.ok(ls.detail?.includes(seedFile) && ls.detail.includes('chmod 600'), describeRun(loose));
    const looseText = await alpha.mesh(['nats', 'status']);
    seen.push(looseText.stdout, looseText.stderr);
    assert.match(looseText.stdout, /not connected: nats_secret_file_mode \(the NATS NKey seed file .* is open to group or others \(mode 644\): run chmod 600 /);
    const queued = await alpha.mesh(['send', 'beta', 'notification', 'loose seed', '--json']);
    seen.push(queued.stdout, queued.stderr);
    assert.deepEqual(pickResult(queued.stdout), { status: 'queued', error: 'nats_secret_file_mode', transport: 'nats' }, describeRun(queued));
    const setup = await alpha.mesh(['nats', 'setup', '--server', readNatsServers(alpha), '--nkey', 'config/nats.nk']);
    seen.push(setup.stdout, setup.stderr);
    assert.equal(setup.code, 0, describeRun(setup));
    assert.match(setup.stderr, /nats\.nk is open to group or others: the connection refuses it until you run chmod 600/);

    // The daemon refuses it too, and says why in its log (the path, not the seed).
    const betaSeed = join(beta.home, 'config', 'nats.nk');
    seen.push(...await stopped(beta));
    chmodSync(betaSeed, 0o640);
    const daemon = await beta.serve();
    await waitFor('the daemon to log the loose seed file', DAEMON_LISTEN_TIMEOUT_MS, () => (`${daemon.stdout}${daemon.stderr}`.includes('nats_secret_file_mode') ? true : undefined));
    assert.ok(`${daemon.stdout}${daemon.stderr}`.includes(betaSeed));
    // A wrong seed in the daemon: refused as nats_auth in its log.
    seen.push(...await stopped(beta));
    writeFileSync(betaSeed, `${stranger.seed}\n`, { mode: 0o600 });
    chmodSync(betaSeed, 0o600);
    const daemon2 = await beta.serve();
    await waitFor('the daemon to log nats_auth', DAEMON_LISTEN_TIMEOUT_MS, () => (`${daemon2.stdout}${daemon2.stderr}`.includes('nats_auth') ? true : undefined));
    seen.push(...await stopped(beta));
    assertSecretsKept(s.secrets, seen, [alpha.home, beta.home], s.holders);
  });

  test('a credentials file (user JWT + seed) from nats.credsFile connects to an operator-mode server; a stranger\'s is refused', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-nats-jwt-'));
    dirs.push(dir);
    const op = operatorSetup(dir);
    const creds = { alpha: op.creds('alpha'), beta: op.creds('beta') };
    const seedOf = (text: string): string => /\n(SU[A-Z0-9]+)\n/.exec(text)?.[1] ?? assert.fail('no seed in the creds text');
    const seen: string[] = [];
    const s = await authScenario({
      serverArgs: ['-c', op.configFile], key: 'credsFile', file: 'config/nats.creds',
      secretFor: (n) => creds[n as 'alpha' | 'beta'], wrong: op.strangerCreds('alpha'), leaks: (t) => [seedOf(t)],
    }, seen);
    seen.push(...await stopped(s.beta));
    assertSecretsKept(s.secrets, seen, [s.alpha.home, s.beta.home], s.holders);
  });
});

function readNatsServers(n: ClusterNode): string {
  const cfg = JSON.parse(readFileSync(n.configFile, 'utf8')) as { nats: { servers: string[] } };
  return cfg.nats.servers.join(',');
}

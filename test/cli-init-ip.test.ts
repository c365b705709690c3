/**
 * `mesh init --ip <address>` tells peers where to connect, so `mesh serve` must listen there (real
 * CLI and daemon processes). Only loopback is ever bound here: ::1 stands in for "an address that
 * is not 127.0.0.1"; non-loopback choices are checked in the written config, never listened on.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { describeRun, freePort, runMesh, spawnDaemon, type DaemonProcess } from './support/mesh-process.ts';
import { HTTP_REQUEST_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const serveConfig = (home: string): { host: string; port: number } =>
  (JSON.parse(readFileSync(join(home, 'config', 'mesh.json'), 'utf8')) as { serve: { host: string; port: number } }).serve;

describe('mesh init --ip decides where mesh serve listens', { timeout: SUITE_TIMEOUT_MS }, () => {
  const root = mkdtempSync(join(tmpdir(), 'mesh-init-ip-'));
  let daemon: DaemonProcess | undefined;
  after(async () => {
    await daemon?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('--ip ::1: mesh serve listens on ::1, where peers were told to connect', async () => {
    const home = join(root, 'alpha');
    const port = await freePort();
    const init = await runMesh(['init', '--agent', 'alpha', '--ip', '::1', '--port', String(port), '--home', home]);
    assert.equal(init.code, 0, describeRun(init));
    assert.match(init.stdout, new RegExp(`mesh serve listens on \\[::1\\]:${port}`));
    assert.deepEqual(serveConfig(home), { host: '::1', port });
    const show = await runMesh(['join', '--show', '--home', home]);
    assert.match(show.stdout, new RegExp(`mesh join alpha ::1 ${port} `));

    daemon = await spawnDaemon(['--home', home]);
    assert.equal(daemon.url, `http://[::1]:${port}`);
    const res = await fetch(`http://[::1]:${port}/health`, { signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    await daemon.stop();
  });

  test('an address this host does not have (NAT, DNS name): all interfaces, with a loud warning', async () => {
    const home = join(root, 'beta');
    // TEST-NET-3 (RFC 5737): never an address of this host.
    const init = await runMesh(['init', '--agent', 'beta', '--ip', '203.0.113.77', '--home', home]);
    assert.equal(init.code, 0, describeRun(init));
    assert.deepEqual(serveConfig(home), { host: '0.0.0.0', port: 18790 });
    assert.match(init.stderr, /warning: 203\.0\.113\.77 is not an address of this host .* listens on all interfaces \(0\.0\.0\.0 port 18790\): reachable from the network/);
    assert.match(init.stderr, /hook token/);
    assert.match(init.stdout, /mesh serve listens on 0\.0\.0\.0:18790/);
    // The warning names no secret.
    const token = (JSON.parse(readFileSync(join(home, 'config', 'agent-registry.json'), 'utf8')) as { agents: { beta: { token: string } } }).agents.beta.token;
    assert.ok(!init.stderr.includes(token) && !init.stdout.includes(token));
  });

  test('init again with another --ip says loudly that the existing config is kept', async () => {
    const home = join(root, 'gamma');
    assert.equal((await runMesh(['init', '--agent', 'gamma', '--home', home])).code, 0);
    const again = await runMesh(['init', '--agent', 'gamma', '--ip', '203.0.113.78', '--home', home]);
    assert.equal(again.code, 0, describeRun(again));
    assert.deepEqual(serveConfig(home), { host: '127.0.0.1', port: 18790 });
    assert.match(again.stderr, /keeps serve\.host "127\.0\.0\.1": `mesh serve` does NOT listen where --ip 203\.0\.113\.78 tells peers to connect/);
    assert.match(again.stderr, /the registry keeps gamma's address 127\.0\.0\.1, not --ip 203\.0\.113\.78/);
  });

  test('--ip that is no address is refused before anything is written', async () => {
    const home = join(root, 'delta');
    const r = await runMesh(['init', '--agent', 'delta', '--ip', '999.1.1.1', '--home', home]);
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /--ip must be an IP address or a host name, got "999\.1\.1\.1"/);
    assert.equal(existsSync(home), false);
  });
});

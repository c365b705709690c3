/**
 * `mesh openclaw setup` as a user runs it (real CLI processes), then `mesh` run the way OpenClaw's
 * exec tool runs it: a shell whose PATH is tools.exec.pathPrepend from the openclaw.json setup wrote,
 * then the login shell's PATH, which here holds an old `node` first. No MESH_HOME, a foreign HOME.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeRun, runMesh } from './support/mesh-process.ts';
import { runToEnd } from './support/process-group.ts';
import { CLI_RUN_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

interface ShellRun { code: number; stdout: string; stderr: string }

describe('mesh openclaw setup gives the agent a working mesh', { timeout: SUITE_TIMEOUT_MS }, () => {
  const root = mkdtempSync(join(tmpdir(), 'mesh-oc-setup-'));
  const home = join(root, 'alpha');
  const workspace = join(root, 'workspace');
  const ocConfig = join(root, 'openclaw.json');
  const oldNodeDir = join(root, 'old-node');
  const foreignHome = join(root, 'gateway-user-home');
  let pathPrepend: string[] = [];

  async function mesh(args: string[]): Promise<string> {
    const r = await runMesh([...args, '--home', home]);
    assert.equal(r.code, 0, describeRun(r));
    return r.stdout;
  }

  /** `sh -c <command>` with the exec PATH OpenClaw builds: pathPrepend first, then the shell's own. */
  async function agentShell(command: string): Promise<ShellRun> {
    const PATH = [...pathPrepend, oldNodeDir, '/usr/local/bin', '/usr/bin', '/bin'].join(':');
    const r = await runToEnd('/bin/sh', ['-c', command], { env: { PATH, HOME: foreignHome, OPENCLAW_SHELL: 'exec' }, timeoutMs: CLI_RUN_TIMEOUT_MS });
    return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  before(async () => {
    mkdirSync(oldNodeDir);
    mkdirSync(foreignHome);
    // What `#!/usr/bin/env node` finds in a login shell that predates Node 24.
    writeFileSync(join(oldNodeDir, 'node'), '#!/bin/sh\necho "old node v20 ran: $*" >&2\nexit 99\n');
    chmodSync(join(oldNodeDir, 'node'), 0o755);
    // The user's own openclaw.json: other settings and an exec PATH entry of theirs must survive.
    writeFileSync(ocConfig, JSON.stringify({ gateway: { port: 18789 }, tools: { exec: { pathPrepend: ['/opt/user-tools/bin'], timeoutSeconds: 600 } } }, null, 2));
    await mesh(['init', '--agent', 'alpha']);
    await mesh(['join', 'omicron', '127.0.0.1', '18802', 'tok-omicron-secret', '--no-probe']);
    const out = await mesh(['openclaw', 'setup', '--gateway-url', 'http://127.0.0.1:18789', '--workspace', workspace, '--openclaw-config', ocConfig, '--agents-md']);
    assert.match(out, /agent's mesh: .*\/bin\/mesh \(ran it: version \d+\.\d+\.\d+/);
    const oc = JSON.parse(readFileSync(ocConfig, 'utf8')) as { gateway: unknown; tools: { exec: { pathPrepend: string[]; timeoutSeconds: number } } };
    pathPrepend = oc.tools.exec.pathPrepend;
    assert.deepEqual(oc.gateway, { port: 18789 });
    assert.equal(oc.tools.exec.timeoutSeconds, 600);
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  test('the PATH setup wrote finds a `mesh` that runs (Node by absolute path) on this node\'s home', async () => {
    assert.deepEqual(pathPrepend, [join(home, 'bin'), '/opt/user-tools/bin']);
    const version = await agentShell('mesh --version');
    assert.equal(version.code, 0, `mesh --version in the agent's shell: exit ${version.code}\n${version.stderr}`);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const inbox = await agentShell('mesh inbox --json');
    assert.equal(inbox.code, 0, inbox.stderr);
    assert.equal((JSON.parse(inbox.stdout) as { total: number }).total, 0);
  });

  test('the skill does not freeze the peer list: `mesh peers` shows a peer added after setup, no tokens', async () => {
    const skill = readFileSync(join(workspace, 'skills', 'mesh', 'SKILL.md'), 'utf8');
    assert.match(skill, /mesh peers/);
    assert.doesNotMatch(skill, /omicron/, 'the skill names a peer known at setup time');
    assert.match(readFileSync(join(workspace, 'AGENTS.md'), 'utf8'), /mesh peers/);
    assert.match(skill, /yieldMs/, 'the skill tells the agent about exec backgrounding mesh request --wait');

    await mesh(['join', 'gamma', '127.0.0.1', '18803', 'tok-gamma-secret', '--no-probe', '--role', 'sre']);
    const listed = await agentShell('mesh peers --json');
    assert.equal(listed.code, 0, listed.stderr);
    const view = JSON.parse(listed.stdout) as { self: { name: string }; peers: Array<{ name: string; role: string; address: string }> };
    assert.equal(view.self.name, 'alpha');
    assert.deepEqual(view.peers.map((p) => [p.name, p.role, p.address]), [['omicron', 'peer', 'http://127.0.0.1:18802'], ['gamma', 'sre', 'http://127.0.0.1:18803']]);
    const human = await agentShell('mesh peers');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /gamma\s+sre\s+http:\/\/127\.0\.0\.1:18803/);
    for (const text of [listed.stdout, human.stdout, human.stderr]) assert.doesNotMatch(text, /tok-(omicron|gamma)-secret|mesh-[0-9a-f]{24}/);
  });

  test('setup again keeps one entry of its own and drops the CLI folder, which never held a `mesh`', async () => {
    const oc = JSON.parse(readFileSync(ocConfig, 'utf8')) as { tools: { exec: { pathPrepend: string[] } } };
    const cliDir = join(import.meta.dirname, '..', 'src', 'cli');
    oc.tools.exec.pathPrepend = [cliDir, ...oc.tools.exec.pathPrepend];
    writeFileSync(ocConfig, JSON.stringify(oc));
    await mesh(['openclaw', 'setup', '--workspace', workspace, '--openclaw-config', ocConfig]);
    const again = JSON.parse(readFileSync(ocConfig, 'utf8')) as { tools: { exec: { pathPrepend: string[] } } };
    assert.deepEqual(again.tools.exec.pathPrepend, [join(home, 'bin'), '/opt/user-tools/bin']);
  });
});

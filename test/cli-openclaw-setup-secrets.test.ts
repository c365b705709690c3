/**
 * `mesh openclaw setup` never prints the gateway's hook token (given or generated), in JSON or in
 * the human output that shows the openclaw.json fragment to merge by hand: it names the file that
 * holds the token instead. The token is still written where the gateway and the node need it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeRun, runMesh, type CliResult } from './support/mesh-process.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const GIVEN_TOKEN = 'oc-hook-given-5e3c7a9b1d2f4e6a8c0b';

interface SetupJson {
  ok: boolean;
  nodeConfigFile: string;
  hookTokenFile: string;
  openclawConfigFile: string | null;
  gatewayConfig: { hooks: { token: string } };
}

describe('mesh openclaw setup keeps the hook token out of its output', { timeout: SUITE_TIMEOUT_MS }, () => {
  const root = mkdtempSync(join(tmpdir(), 'mesh-oc-secret-'));
  const home = join(root, 'alpha');
  const workspace = join(root, 'workspace');

  async function mesh(args: string[]): Promise<CliResult> {
    const r = await runMesh([...args, '--home', home]);
    assert.equal(r.code, 0, describeRun(r));
    return r;
  }
  const storedToken = (): string => (JSON.parse(readFileSync(join(home, 'config', 'mesh.json'), 'utf8')) as { openclaw: { hookToken: string } }).openclaw.hookToken;

  before(async () => {
    await mesh(['init', '--agent', 'alpha']);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('--json, generated token: not in the output; the output names the file that holds it', async () => {
    const r = await mesh(['openclaw', 'setup', '--workspace', workspace, '--json']);
    const token = storedToken();
    assert.match(token, /^oc-hook-[0-9a-f]{32}$/);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), `the hook token appears in the output:\n${r.stdout}`);
    const j = JSON.parse(r.stdout) as SetupJson;
    assert.equal(j.hookTokenFile, join(home, 'config', 'mesh.json'));
    assert.equal(j.openclawConfigFile, null);
    assert.doesNotMatch(j.gatewayConfig.hooks.token, /oc-hook-[0-9a-f]/);
  });

  test('human output without --openclaw-config: the fragment to merge shows where the token is, not the token', async () => {
    const r = await mesh(['openclaw', 'setup', '--workspace', workspace, '--hook-token', GIVEN_TOKEN]);
    assert.equal(storedToken(), GIVEN_TOKEN);
    assert.ok(!r.stdout.includes(GIVEN_TOKEN) && !r.stderr.includes(GIVEN_TOKEN), `the hook token appears in the output:\n${r.stdout}`);
    assert.ok(r.stdout.includes(join(home, 'config', 'mesh.json')), r.stdout);
    assert.match(r.stdout, /openclaw\.hookToken/);
  });

  test('--json with --openclaw-config: the token reaches openclaw.json but not the output', async () => {
    const ocConfig = join(root, 'openclaw.json');
    const r = await mesh(['openclaw', 'setup', '--workspace', workspace, '--hook-token', GIVEN_TOKEN, '--openclaw-config', ocConfig, '--json']);
    assert.ok(!r.stdout.includes(GIVEN_TOKEN), `the hook token appears in the output:\n${r.stdout}`);
    const written = JSON.parse(readFileSync(ocConfig, 'utf8')) as { hooks: { token: string } };
    assert.equal(written.hooks.token, GIVEN_TOKEN);
  });
});

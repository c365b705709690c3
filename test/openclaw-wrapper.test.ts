/**
 * The generated `mesh` wrapper of `mesh openclaw setup` (node/openclaw/mesh-wrapper.ts), run as real
 * processes with only the minimal PATH OpenClaw's gateway daemon has (a node there, if any, may be old).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isMeshError } from '../src/protocol/errors.ts';
import { initHome } from '../src/node/init-home.ts';
import { openNode } from '../src/node/mesh-node.ts';
import { setupOpenClaw } from '../src/node/openclaw/setup.ts';
import { MINIMAL_EXEC_PATH, meshWrapperScript, verifyMeshWrapper, writeMeshWrapper } from '../src/node/openclaw/mesh-wrapper.ts';
import { runToEnd } from './support/process-group.ts';
import { CLI_RUN_TIMEOUT_MS } from './support/timeouts.ts';

const CLI_ENTRY = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mesh-wrapper-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function sh(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runToEnd(file, args, { env: { PATH: MINIMAL_EXEC_PATH }, timeoutMs: CLI_RUN_TIMEOUT_MS });
  return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
}

test('the wrapper runs this Node and the CLI by absolute path on a home whose path needs quoting', async () => {
  // Spaces, a quote, $ and a backtick: the sh script must take them literally.
  const home = join(root, "node home 'q' $HOME `x`");
  initHome({ home, agent: 'alpha' });
  const binDir = join(home, 'bin');
  const file = writeMeshWrapper({ binDir, nodePath: process.execPath, cliEntry: CLI_ENTRY, home });
  assert.equal(file, join(binDir, 'mesh'));
  assert.equal(statSync(file).mode & 0o777, 0o755);
  assert.match(readFileSync(file, 'utf8'), /^#!\/bin\/sh\n/);
  const check = await verifyMeshWrapper(file);
  assert.match(check.version, /^\d+\.\d+\.\d+/);
  assert.equal(check.inboxTotal, 0);
  // MESH_HOME is this node's home, whatever the caller's environment says.
  const peers = await sh(file, ['peers', '--json']);
  assert.equal(peers.code, 0, peers.stderr);
  assert.equal((JSON.parse(peers.stdout) as { self: { name: string } }).self.name, 'alpha');
});

test('a wrapper that cannot run fails verification with CONFIG_INVALID naming the wrapper', async () => {
  const home = join(root, 'broken');
  initHome({ home, agent: 'alpha' });
  const missingEntry = join(root, 'no-such-dir', 'bin.js');
  const file = writeMeshWrapper({ binDir: join(home, 'bin'), nodePath: process.execPath, cliEntry: missingEntry, home });
  await assert.rejects(verifyMeshWrapper(file), (e: unknown) => {
    assert.ok(isMeshError(e));
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.ok(e.message.includes(file), e.message);
    assert.match(e.message, /mesh --version/);
    return true;
  });
  // A wrapper that runs, but on a folder that is not a node home, fails the inbox check.
  const notHome = join(root, 'not-a-home');
  mkdirSync(notHome);
  const file2 = writeMeshWrapper({ binDir: join(notHome, 'bin'), nodePath: process.execPath, cliEntry: CLI_ENTRY, home: notHome });
  await assert.rejects(verifyMeshWrapper(file2), /mesh inbox --json --limit 1` failed \(exit 3\)/);
});

test('relative paths are refused: the exec PATH and cwd of the agent are not ours', () => {
  assert.throws(() => meshWrapperScript({ binDir: '/x', nodePath: 'node', cliEntry: CLI_ENTRY, home: '/h' }), /node binary path must be absolute/);
  assert.throws(() => meshWrapperScript({ binDir: '/x', nodePath: process.execPath, cliEntry: 'dist/cli/bin.js', home: '/h' }), /CLI entry path must be absolute/);
});

test('setup with a Node that cannot run the CLI fails before it touches mesh.json, the skill or openclaw.json', async () => {
  const home = join(root, 'setup-fails');
  initHome({ home, agent: 'alpha' });
  const meshJson = readFileSync(join(home, 'config', 'mesh.json'), 'utf8');
  const ocConfig = join(root, 'setup-fails-openclaw.json');
  const workspace = join(root, 'setup-fails-ws');
  const node = openNode({ home, env: {} });
  try {
    await assert.rejects(setupOpenClaw(node, {
      gatewayUrl: 'http://127.0.0.1:18789', workspace, openclawConfig: ocConfig,
      nodePath: join(root, 'no-such-node'), cliEntry: CLI_ENTRY,
    }), /the agent's mesh \(.*\/bin\/mesh\) does not work: `mesh --version` failed/);
  } finally {
    await node.close();
  }
  assert.equal(readFileSync(join(home, 'config', 'mesh.json'), 'utf8'), meshJson);
  assert.equal(existsSync(ocConfig), false);
  assert.equal(existsSync(workspace), false);
});

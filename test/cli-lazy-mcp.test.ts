/**
 * `mesh send` stays small: the MCP SDK and the MCP server load for `mesh mcp` only (and the SDK facade
 * not at all), so adding them cost `mesh send` nothing at start-up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeHome } from './support/cli-harness.ts';
import { childEnv, MESH_BIN, REPO_ROOT } from './support/mesh-process.ts';

const TRACE = join(REPO_ROOT, 'test', 'support', 'trace-modules.ts');

function loaded(home: string, args: string[]): string[] {
  const file = join(home, 'modules.txt');
  const r = spawnSync(process.execPath, ['--import', TRACE, MESH_BIN, ...args, '--home', home], {
    env: childEnv({ MESH_TRACE_MODULES: file }), encoding: 'utf8', timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(file, 'utf8').trim().split('\n');
}

test('mesh send loads neither the MCP SDK nor the MCP server; mesh mcp --print-config loads its own part only', async () => {
  const h = makeHome({ beta: 'http://127.0.0.1:9' });
  try {
    const send = loaded(h.home, ['send', 'beta', 'notification', 'hi', '--dry-run']);
    assert.ok(send.some((u) => u.endsWith('/src/cli/commands/send.ts')), 'the trace sees the command');
    for (const u of send) {
      assert.doesNotMatch(u, /@modelcontextprotocol|\/src\/mcp\/|\/src\/sdk\//, `mesh send loaded ${u}`);
    }
    const config = loaded(h.home, ['mcp', '--print-config']);
    assert.ok(config.some((u) => u.endsWith('/src/mcp/client-config.ts')));
    assert.ok(!config.some((u) => u.includes('@modelcontextprotocol')), '--print-config does not need the MCP SDK');
  } finally {
    await h.cleanup();
  }
});

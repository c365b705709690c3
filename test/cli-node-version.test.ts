/**
 * `mesh` on a Node.js older than 24.12 says so and exits 1, instead of dying with a SyntaxError (the
 * machines ship Node 20, and `#!/usr/bin/env node` may find it). The entry file is what the build emits
 * from src/cli/bin.ts; it is compiled here with the build's own options, so the test needs no `npm run
 * build`, and the built dist/cli/bin.js is checked as well when it is up to date.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { BUILT_MESH_BIN, builtBinUnusable } from './support/built-cli.ts';
import { REPO_ROOT } from './support/mesh-process.ts';
import { CHILD_PROCESS_TIMEOUT_MS } from './support/timeouts.ts';

function versionOf(nodeBin: string): string | null {
  try {
    return execFileSync(nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: CHILD_PROCESS_TIMEOUT_MS }).trim();
  } catch {
    return null;
  }
}

/** A Node binary older than 24.12 on this machine (the system one, or any on PATH), or null. */
function findOldNode(): { bin: string; version: string } | null {
  const candidates = ['/usr/bin/node', '/usr/local/bin/node', ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'node'))];
  for (const bin of new Set(candidates)) {
    if (!existsSync(bin)) continue;
    const version = versionOf(bin);
    if (version === null) continue;
    const [major = 0, minor = 0] = version.split('.').map(Number);
    if (major < 24 || (major === 24 && minor < 12)) return { bin, version };
  }
  return null;
}

/** src/cli/bin.ts compiled with tsconfig.build.json's options, alone in an ESM folder as cli/bin.js. */
function compileEntry(dir: string): string {
  const configFile = join(REPO_ROOT, 'tsconfig.build.json');
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile) as { config: unknown };
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configFile));
  const source = join(REPO_ROOT, 'src', 'cli', 'bin.ts');
  // transpileModule cannot see package.json "type": "module"; the .mts name tells it the file is ESM,
  // as the real build knows from package.json.
  const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), { compilerOptions: options, fileName: source.replace(/\.ts$/, '.mts') });
  mkdirSync(join(dir, 'cli'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dir, 'cli', 'bin.js'), outputText);
  return join(dir, 'cli', 'bin.js');
}

describe('mesh on an old Node.js', () => {
  const old = findOldNode();
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-old-node-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('package.json "bin" is the built src/cli/bin.ts', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin['mesh'], 'dist/cli/bin.js');
  });

  for (const which of ['compiled src/cli/bin.ts', 'built dist/cli/bin.js'] as const) {
    test(`${which}: prints what it needs and exits 1`, (t) => {
      if (old === null) {
        t.skip('no Node.js older than 24.12 on this machine (looked at /usr/bin/node, /usr/local/bin/node and PATH)');
        return;
      }
      let entry: string;
      if (which === 'built dist/cli/bin.js') {
        const unusable = builtBinUnusable();
        if (unusable !== null) {
          t.skip(unusable);
          return;
        }
        entry = BUILT_MESH_BIN;
      } else {
        entry = compileEntry(dir);
      }
      for (const args of [['--version'], ['inbox', '--json']]) {
        const r: SpawnSyncReturns<string> = spawnSync(old.bin, [entry, ...args], { encoding: 'utf8', timeout: CHILD_PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1' } });
        assert.equal(r.status, 1, `node ${old.version} ${entry} ${args.join(' ')}: exit 1\nstderr: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, new RegExp(`^mesh needs Node\\.js ≥ 24\\.12 \\(found v${old.version.replaceAll('.', '\\.')} at `));
        assert.doesNotMatch(r.stderr, /SyntaxError|Error:/);
      }
    });
  }
});

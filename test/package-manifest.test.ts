/**
 * package.json says what exists: its "exports" entry is built from a real source file and imports
 * under the package's own name, and every runtime dependency is used by the code it ships.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILT_MESH_BIN, builtBinUnusable } from './support/built-cli.ts';
import { REPO_ROOT } from './support/mesh-process.ts';

interface Manifest { name: string; types: string; exports: Record<string, unknown>; dependencies: Record<string, string> }
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const API_NAMES = ['MeshError', 'MeshErrorCode', 'isMeshError', 'WireCode', 'openNode', 'MeshNode', 'openMesh', 'Mesh', 'EventSubscription'];

test('"exports" names dist/index.js, built from src/index.ts, with the public names', async () => {
  assert.deepEqual(pkg.exports, { '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
  assert.equal(pkg.types, './dist/index.d.ts');
  assert.ok(existsSync(join(REPO_ROOT, 'src', 'index.ts')), 'src/index.ts exists');
  const api = (await import('../src/index.ts')) as Record<string, unknown>;
  for (const name of API_NAMES) assert.equal(typeof api[name], name === 'MeshErrorCode' || name === 'WireCode' ? 'object' : 'function', name);
  assert.equal(api['default'], undefined, 'named exports only');
});

test('the built package imports under its own name, with type declarations', async (t) => {
  const unusable = builtBinUnusable();
  if (unusable !== null) {
    t.skip(unusable);
    return;
  }
  assert.ok(existsSync(BUILT_MESH_BIN));
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'index.js')), 'dist/index.js');
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'index.d.ts')), 'dist/index.d.ts');
  // Self-reference: resolved through package.json "exports", as an installing project would.
  const api = (await import(pkg.name)) as Record<string, unknown>;
  for (const name of API_NAMES) assert.notEqual(api[name], undefined, name);
  const { MeshError, isMeshError } = api as { MeshError: new (code: string, msg: string) => Error; isMeshError: (e: unknown) => boolean };
  assert.equal(isMeshError(new MeshError('NOT_FOUND', 'x')), true);
});

test('every runtime dependency is imported by src/', () => {
  const sources = readdirSync(join(REPO_ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
  for (const dep of Object.keys(pkg.dependencies)) {
    const escaped = dep.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    // import.meta.resolve: a library the daemon serves to the dashboard (src/server/api/dashboard-files.ts).
    const imported = new RegExp(`from '${escaped}(/[^']*)?'|import\\('${escaped}(/[^']*)?'\\)|import\\.meta\\.resolve\\('${escaped}(/[^']*)?'\\)`).test(sources);
    assert.ok(imported, `${dep} is in "dependencies" but nothing under src/ imports it: remove it`);
  }
});

/**
 * The built `mesh` (dist/cli/bin.js, package.json "bin") for tests that must run what users install.
 * `npm ci` builds it before `npm test`; while developing, dist/ can lag behind src/, and a test of a
 * stale build would test old code, so such tests skip with the reason instead (the dashboard's files count
 * as sources too: the build copies them to dist/dashboard).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './mesh-process.ts';

export const BUILT_MESH_BIN = join(REPO_ROOT, 'dist', 'cli', 'bin.js');

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    // The .ts sources, and the dashboard's static files the build copies.
    if (!entry.isFile() || !/\.(ts|js|html|css|svg)$/.test(entry.name) || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Why dist/cli/bin.js cannot stand for the current sources, or null when it can. */
export function builtBinUnusable(): string | null {
  if (!existsSync(BUILT_MESH_BIN)) return 'dist/cli/bin.js is missing (npm run build)';
  if (newestSourceMs(join(REPO_ROOT, 'src')) > statSync(BUILT_MESH_BIN).mtimeMs) return 'dist/ is older than src/ (npm run build)';
  return null;
}

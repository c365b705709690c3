/**
 * What `npm ci && npx mesh serve` gives a user: the built daemon (dist/cli/bin.js) serves the
 * dashboard from the built package (dist/dashboard, copied by `npm run build`) and the two libraries
 * from node_modules.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DASHBOARD_APP_FILES } from '../src/server/api/dashboard-files.ts';
import { BUILT_MESH_BIN, builtBinUnusable } from './support/built-cli.ts';
import { MeshCluster } from './support/mesh-cluster.ts';
import { REPO_ROOT, spawnDaemon } from './support/mesh-process.ts';

test('the built mesh serve serves the dashboard from dist/', async (t) => {
  const unusable = builtBinUnusable();
  if (unusable !== null) {
    t.skip(unusable);
    return;
  }
  const cluster = await MeshCluster.create({ agents: ['alpha'] });
  try {
    const alpha = cluster.node('alpha');
    const daemon = await spawnDaemon(['--home', alpha.home, '--port', String(alpha.port), '--api-port', '0'], { bin: BUILT_MESH_BIN });
    const api: string = daemon.apiUrl ?? assert.fail(`no API URL in: ${daemon.stdout}`);
    for (const name of DASHBOARD_APP_FILES) {
      const r: Response = await fetch(`${api}${name === 'index.html' ? '/' : `/assets/app/${name}`}`);
      assert.equal(r.status, 200, name);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(readFileSync(join(REPO_ROOT, 'dist', 'dashboard', name))), `${name} from dist/dashboard`);
    }
    for (const name of ['preact.mjs', 'htm.mjs']) {
      const r: Response = await fetch(`${api}/assets/vendor/${name}`);
      assert.equal(r.status, 200, name);
      assert.ok((await r.arrayBuffer()).byteLength > 500, name);
    }
    await daemon.stop();
  } finally {
    await cluster.close();
  }
});

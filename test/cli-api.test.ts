/**
 * `mesh api` and the API switches of `mesh serve`, as a user runs them: the token is made by init
 * (mode 600), made on first use in older homes, shown and rotated; serve starts the API where asked,
 * refuses contradictory flags and a chosen port that is taken, and skips a taken default port.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { layoutOf } from '../src/node/home.ts';
import { openNode } from '../src/node/mesh-node.ts';
import { startDaemon } from '../src/server/daemon.ts';
import { makeHome } from './support/cli-harness.ts';
import { describeRun, runMesh, spawnDaemon } from './support/mesh-process.ts';

async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr !== null ? addr.port : 0, server };
}

describe('mesh api', () => {
  test('init makes the API token (600); api token shows it; an older home gets one on first use; --rotate replaces it', async () => {
    const h = makeHome();
    try {
      const file = layoutOf(h.home).apiTokenFile;
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const shown = await runMesh(['api', 'token', '--home', h.home]);
      assert.equal(shown.code, 0, describeRun(shown));
      assert.match(shown.stdout.trim(), /^mesh-api-[0-9a-f]{48}$/);
      assert.notEqual(shown.stdout.trim(), h.node.hookToken(), 'not the hook token');
      const json = JSON.parse((await runMesh(['api', 'token', '--json', '--home', h.home])).stdout) as { token: string; created: boolean };
      assert.deepEqual({ token: json.token, created: json.created }, { token: shown.stdout.trim(), created: false });

      rmSync(file); // a home made before the API existed
      const made = await runMesh(['api', 'token', '--home', h.home]);
      assert.equal(made.code, 0);
      assert.match(made.stderr, /API token made/);
      assert.notEqual(made.stdout.trim(), shown.stdout.trim());
      assert.equal(statSync(file).mode & 0o777, 0o600);

      const rotated = await runMesh(['api', 'token', '--rotate', '--home', h.home]);
      assert.equal(rotated.code, 0);
      assert.notEqual(rotated.stdout.trim(), made.stdout.trim());
      assert.equal((await runMesh(['api', 'token', '--home', h.home])).stdout.trim(), rotated.stdout.trim());
    } finally {
      await h.cleanup();
    }
  });

  test('api url follows config/mesh.json; usage errors exit 2; an uninitialised home exits 3', async () => {
    const h = makeHome();
    try {
      assert.equal((await runMesh(['api', 'url', '--home', h.home])).stdout.trim(), 'http://127.0.0.1:8880');
      assert.equal((await runMesh(['api', '--home', h.home])).stdout.trim(), 'http://127.0.0.1:8880');
      writeFileSync(layoutOf(h.home).configFile, JSON.stringify({ api: { port: 9911, host: '::1' } }));
      const j = JSON.parse((await runMesh(['api', 'url', '--json', '--home', h.home])).stdout) as { url: string; tokenRequired: boolean };
      assert.deepEqual({ url: j.url, tokenRequired: j.tokenRequired }, { url: 'http://[::1]:9911', tokenRequired: false });
      assert.equal((await runMesh(['api', 'tokens', '--home', h.home])).code, 2);
      assert.equal((await runMesh(['api', 'url', '--rotate', '--home', h.home])).code, 2);
      assert.equal((await runMesh(['api', 'token', 'extra', '--home', h.home])).code, 2);
      assert.equal((await runMesh(['api', 'token', '--home', `${h.home}/nothing-here`])).code, 3);
    } finally {
      await h.cleanup();
    }
  });
});

describe('mesh serve and the API listener', () => {
  test('--api-port 0 starts it (and makes a missing token); --no-api does not', async () => {
    const h = makeHome();
    try {
      rmSync(layoutOf(h.home).apiTokenFile);
      const on = await spawnDaemon(['--port', '0', '--api-port', '0', '--home', h.home], { timeoutMs: 30_000 });
      try {
        assert.match(on.apiUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
        const r = await fetch(`${on.apiUrl}/api/health`);
        assert.deepEqual(((await r.json()) as { agent: string }).agent, 'alpha');
        assert.ok(existsSync(layoutOf(h.home).apiTokenFile), 'the API token was made on first use');
      } finally {
        await on.stop(30_000);
      }
      const off = await spawnDaemon(['--port', '0', '--no-api', '--home', h.home], { timeoutMs: 30_000 });
      try {
        assert.equal(off.apiUrl, null);
        assert.doesNotMatch(off.stdout, /API/);
      } finally {
        await off.stop(30_000);
      }
    } finally {
      await h.cleanup();
    }
  });

  test('contradictory flags exit 2; a chosen API port that is taken stops serve with EADDRINUSE', async () => {
    const h = makeHome();
    const { port, server } = await occupyPort();
    try {
      const both = await runMesh(['serve', '--port', '0', '--no-api', '--api-port', '1', '--home', h.home]);
      assert.equal(both.code, 2, describeRun(both));
      const bad = await runMesh(['serve', '--port', '0', '--api-port', 'http', '--home', h.home]);
      assert.equal(bad.code, 2, describeRun(bad));
      const busy = await runMesh(['serve', '--port', '0', '--api-port', String(port), '--home', h.home], { timeoutMs: 30_000 });
      assert.equal(busy.code, 1, describeRun(busy));
      assert.match(busy.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\).*--api-port`), describeRun(busy));
    } finally {
      server.close();
      await h.cleanup();
    }
  });

  test('the default API port being taken only skips the API, with the reason; the receiver runs', async () => {
    const h = makeHome();
    const { port, server } = await occupyPort();
    const node = openNode({ home: h.home, env: {} });
    try {
      const d = await startDaemon(node, { host: '127.0.0.1', port: 0, version: 'test', api: { host: '127.0.0.1', port, explicit: false } });
      try {
        assert.equal(d.api, null);
        assert.match(d.apiSkipped ?? '', /EADDRINUSE.*--api-port/);
        const health = await fetch(`http://127.0.0.1:${d.port}/health`);
        assert.equal(health.status, 200);
      } finally {
        await d.stop();
      }
    } finally {
      server.close();
      await h.cleanup();
    }
  });
});

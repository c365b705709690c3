/**
 * `mesh serve` refuses clearly instead of failing obscurely: a busy port is named as EADDRINUSE, and a
 * second daemon for a home whose daemon runs is refused with that daemon's pid. The home's lock goes
 * with its daemon however it ends (SIGTERM, or kill -9: nothing stale is left to clean up).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { makeHome } from './support/cli-harness.ts';
import { describeRun, runMesh, spawnDaemon, type DaemonProcess } from './support/mesh-process.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr !== null ? addr.port : 0, server };
}

describe('mesh serve start-up refusals', { timeout: SUITE_TIMEOUT_MS }, () => {
  test('a busy port: EADDRINUSE named, with what to do, exit 1', async () => {
    const h = makeHome();
    const { port, server } = await occupyPort();
    try {
      const r = await runMesh(['serve', '--port', String(port), '--home', h.home]);
      assert.equal(r.code, 1, describeRun(r));
      assert.match(r.stderr, new RegExp(`error: port ${port} on 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\): another mesh serve\\? choose --port`), describeRun(r));
      const json = await runMesh(['serve', '--port', String(port), '--json', '--home', h.home]);
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'ADDRESS_IN_USE');
    } finally {
      server.close();
      await h.cleanup();
    }
  });

  test('a second daemon for the same home is refused with the running one\'s pid; the lock goes with it', async () => {
    const h = makeHome();
    const daemons: DaemonProcess[] = [];
    const start = async (): Promise<DaemonProcess> => {
      const d = await spawnDaemon(['--port', '0', '--home', h.home]);
      daemons.push(d);
      return d;
    };
    try {
      const first = await start();
      const second = await runMesh(['serve', '--port', '0', '--home', h.home]);
      assert.equal(second.code, 1, `refused at once, not a second listener\n${describeRun(second)}`);
      assert.match(second.stderr, new RegExp(`mesh serve is already running for \\S+ \\(pid ${first.pid}, started [^)]+\\): stop it first \\(kill ${first.pid}\\)`), describeRun(second));
      assert.ok(first.running, 'the first daemon is untouched');

      const stopped = await first.stop();
      assert.equal(stopped.code, 0);
      const after = await start();
      await after.crash(); // kill -9: no chance to release anything itself
      const taken = await start();
      assert.ok(taken.running, 'a dead daemon\'s lock is taken over');
      await taken.stop();
    } finally {
      await Promise.all(daemons.map((d) => d.crash()));
      await h.cleanup();
    }
  });
});

/**
 * A real nats-server for benchmarks (JetStream on, file storage in the benchmark's folder, listening
 * on a free 127.0.0.1 port), in its own process group and tracked, so run.ts kills it with the other
 * children even after a failure. `null` from findNatsServer() when the binary is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, signalGroupOf, trackChild } from './processes.ts';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export function findNatsServer(): string | null {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface BenchNatsServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startNatsServer(bin: string, dir: string): Promise<BenchNatsServer> {
  const port = await freePort();
  const store = join(dir, 'nats-store');
  mkdirSync(store, { recursive: true });
  const fd = openSync(join(dir, 'nats-server.log'), 'a');
  const child = spawn(bin, ['-js', '-sd', store, '-p', String(port), '-a', '127.0.0.1', '-n', 'bench'], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  trackChild(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroupOf(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroupOf(child, 'SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nats-server exited before listening (see ${join(dir, 'nats-server.log')})`);
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`nats-server did not listen within ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(50);
  }
  return { url: `nats://127.0.0.1:${port}`, pid: child.pid as number, stop };
}

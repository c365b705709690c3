/**
 * Real nats-server processes for integration tests (Debian's nats-server 2.9, JetStream on, file
 * storage in a temp folder, listening on free 127.0.0.1 ports). Each server leads its own process
 * group, started and stopped through process-group.ts: it carries the test markers, is SIGKILLed with
 * everything else when the test process exits, fails or is signalled, and a server still running when
 * a test file's tests are done fails that file (its leak check). `close()` stops them in `after`.
 * A three-server cluster routes on loopback too. Tests skip with `NATS_SKIP` as the reason when the
 * binary is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './mesh-process.ts';
import { keepAliveUntil, killTree, spawnGroup, stopGroup, type GroupChild } from './process-group.ts';
import { CLEANUP_STOP_GRACE_MS, DAEMON_LISTEN_TIMEOUT_MS } from './timeouts.ts';

function findBinary(): string | null {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

export const NATS_SERVER_BIN = findBinary();
/** The skip reason for node:test (`{ skip: NATS_SKIP }`): false when nats-server is installed. */
export const NATS_SKIP: string | false = NATS_SERVER_BIN === null ? 'nats-server is not installed (apt-get install nats-server; .ci/run installs it)' : false;

/** From spawn to accepting connections (a server, like `mesh serve`, starts slowly on a loaded machine). */
const READY_TIMEOUT_MS = DAEMON_LISTEN_TIMEOUT_MS;

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class NatsServerProcess {
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number | null;
  readonly args: string[];
  group: GroupChild | null = null;
  log = '';

  constructor(name: string, port: number, clusterPort: number | null, args: string[]) {
    this.name = name;
    this.port = port;
    this.clusterPort = clusterPort;
    this.args = args;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  get running(): boolean {
    return this.group !== null && !this.group.hasExited();
  }

  /** Starts (or restarts, on the same ports and storage) and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    if (NATS_SERVER_BIN === null) throw new Error('nats-server is not installed');
    const group = spawnGroup(NATS_SERVER_BIN, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.group = group;
    const keep = (c: Buffer): void => {
      this.log = (this.log + c.toString('utf8')).slice(-20_000);
    };
    group.child.stdout?.on('data', keep);
    group.child.stderr?.on('data', keep);
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (!(await portOpen(this.port))) {
      if (!this.running) throw new Error(`nats-server ${this.name} exited before listening:\n${this.log}`);
      if (performance.now() > deadline) throw new Error(`nats-server ${this.name} did not listen within ${READY_TIMEOUT_MS} ms:\n${this.log}`);
      await sleep(50);
    }
  }

  /** kill -9 of the server (its process group). */
  async kill(): Promise<void> {
    const g = this.group;
    if (g === null || g.hasExited()) return;
    killTree(g.pgid);
    await keepAliveUntil(g.exited);
  }

  /** SIGTERM (the server shuts down cleanly), SIGKILL of the group after a grace period. */
  async stop(graceMs = CLEANUP_STOP_GRACE_MS): Promise<void> {
    const g = this.group;
    if (g === null) return;
    await stopGroup(g, graceMs);
  }
}

export class NatsFleetServers {
  readonly dir: string;
  readonly servers: NatsServerProcess[];

  private constructor(dir: string, servers: NatsServerProcess[]) {
    this.dir = dir;
    this.servers = servers;
  }

  /** Every server URL (give all of them to the nodes: the client fails over between them). */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /**
   * One server, or a cluster of `count` routed servers (JetStream clustered: use replicas 3).
   * `extraArgs` go to every server (e.g. `--auth <token>`).
   */
  static async start(count = 1, extraArgs: readonly string[] = []): Promise<NatsFleetServers> {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-nats-'));
    const ports = [];
    for (let i = 0; i < count; i++) ports.push({ client: await freePort(), cluster: count > 1 ? await freePort() : null });
    const routes = ports.map((p) => `nats://127.0.0.1:${String(p.cluster)}`).join(',');
    const servers = ports.map((p, i) => {
      const name = `n${i + 1}`;
      const store = join(dir, name);
      mkdirSync(store, { recursive: true });
      const args = ['-js', '-sd', store, '-p', String(p.client), '-a', '127.0.0.1', '-n', name, ...extraArgs];
      if (p.cluster !== null) args.push('--cluster_name', 'mesh-test', '--cluster', `nats://127.0.0.1:${p.cluster}`, '--routes', routes);
      return new NatsServerProcess(name, p.client, p.cluster, args);
    });
    const fleet = new NatsFleetServers(dir, servers);
    try {
      await Promise.all(servers.map((s) => s.start()));
    } catch (e) {
      await fleet.close();
      throw e;
    }
    return fleet;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

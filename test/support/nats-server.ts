/**
 * Real nats-server processes (Debian's nats-server 2.9, JetStream on, file storage in a temp folder,
 * listening on free 127.0.0.1 ports), for the integration tests and the benchmark alike: one place
 * that finds the binary, builds the command line, waits for the server to listen and stops it.
 *
 * How a process is spawned and tracked belongs to the harness (a `NatsProcessHost`):
 *  - tests (the default): each server leads its own process group, started and stopped through
 *    process-group.ts: it carries the test markers, is SIGKILLed with everything else when the test
 *    process exits, fails or is signalled, and a server still running when a test file's tests are
 *    done fails that file (its leak check). That host is loaded on first use (`import()`), so the
 *    benchmark, which tracks its children itself, never loads the test runner's hooks.
 *  - the benchmark passes its own host (bench/support/processes.ts `benchNatsHost`).
 * `close()` stops the servers (in `after`). A three-server cluster routes on loopback too. Tests
 * skip with `NATS_SKIP` as the reason when the binary is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLEANUP_STOP_GRACE_MS, DAEMON_LISTEN_TIMEOUT_MS } from './timeouts.ts';

/** The nats-server binary (Debian puts it in /usr/sbin), or null when it is not installed. */
export function findNatsServer(): string | null {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

export const NATS_SERVER_BIN = findNatsServer();
/** The skip reason for node:test (`{ skip: NATS_SKIP }`): false when nats-server is installed. */
export const NATS_SKIP: string | false = NATS_SERVER_BIN === null ? 'nats-server is not installed (apt-get install nats-server; .ci/run installs it)' : false;

/** From spawn to accepting connections (a server, like `mesh serve`, starts slowly on a loaded machine). */
const READY_TIMEOUT_MS = DAEMON_LISTEN_TIMEOUT_MS;
/** Server output kept for error messages. */
const LOG_TAIL_CHARS = 20_000;

/** A running server process as the harness tracks it. */
export interface LaunchedProcess {
  /** Its pid (also its process-group id). */
  pid: number;
  exited: Promise<unknown>;
  hasExited(): boolean;
  /** SIGKILL of its process group; resolves when it has exited. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL of its process group after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** How the harness spawns (in a process group of its own), tracks and kills child processes. */
export interface NatsProcessHost {
  freePort(): Promise<number>;
  /** Spawns `bin args` with stdout and stderr going to `onOutput`. */
  launch(bin: string, args: readonly string[], onOutput: (chunk: Buffer) => void): LaunchedProcess;
}

let testHost: Promise<NatsProcessHost> | null = null;
function defaultHost(): Promise<NatsProcessHost> {
  testHost ??= Promise.all([import('./process-group.ts'), import('./mesh-process.ts')]).then(([pg, mp]) => ({
    freePort: mp.freePort,
    launch(bin, args, onOutput) {
      const g = pg.spawnGroup(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      g.child.stdout?.on('data', onOutput);
      g.child.stderr?.on('data', onOutput);
      return {
        pid: g.pgid,
        exited: g.exited,
        hasExited: () => g.hasExited(),
        async kill() {
          pg.killTree(g.pgid);
          await pg.keepAliveUntil(g.exited);
        },
        stop: (graceMs) => pg.stopGroup(g, graceMs),
      };
    },
  }));
  return testHost;
}

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
  readonly #host: NatsProcessHost;
  proc: LaunchedProcess | null = null;
  log = '';

  constructor(name: string, port: number, clusterPort: number | null, args: string[], host: NatsProcessHost) {
    this.name = name;
    this.port = port;
    this.clusterPort = clusterPort;
    this.args = args;
    this.#host = host;
  }

  /** The client URL (a client that is given TLS options upgrades when the server requires TLS). */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  get running(): boolean {
    return this.proc !== null && !this.proc.hasExited();
  }
  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  /** Starts (or restarts, on the same ports and storage) and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    if (NATS_SERVER_BIN === null) throw new Error('nats-server is not installed');
    this.proc = this.#host.launch(NATS_SERVER_BIN, this.args, (c) => {
      this.log = (this.log + c.toString('utf8')).slice(-LOG_TAIL_CHARS);
    });
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (!(await portOpen(this.port))) {
      if (!this.running) throw new Error(`nats-server ${this.name} exited before listening:\n${this.log}`);
      if (performance.now() > deadline) throw new Error(`nats-server ${this.name} did not listen within ${READY_TIMEOUT_MS} ms:\n${this.log}`);
      await sleep(50);
    }
  }

  /** kill -9 of the server (its process group). */
  async kill(): Promise<void> {
    if (this.proc === null || this.proc.hasExited()) return;
    await this.proc.kill();
  }

  /** SIGTERM (the server shuts down cleanly), SIGKILL of the group after a grace period. */
  async stop(graceMs = CLEANUP_STOP_GRACE_MS): Promise<void> {
    if (this.proc === null) return;
    await this.proc.stop(graceMs);
  }
}

export interface NatsStartOptions {
  /** Arguments for every server (e.g. `['--auth', token]`, or `['-c', file]`). */
  extraArgs?: readonly string[];
  /** Where the servers keep their streams (default: a new temp folder, removed by close()). */
  dir?: string;
  /** The harness's process tracking (default: the tests' process groups). */
  host?: NatsProcessHost;
}

export class NatsFleetServers {
  readonly dir: string;
  readonly servers: NatsServerProcess[];
  readonly #ownDir: boolean;

  private constructor(dir: string, ownDir: boolean, servers: NatsServerProcess[]) {
    this.dir = dir;
    this.#ownDir = ownDir;
    this.servers = servers;
  }

  /** Every server URL (give all of them to the nodes: the client fails over between them). */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /**
   * One server, or a cluster of `count` routed servers (JetStream clustered: use replicas 3).
   * `extraArgs` go to every server (e.g. `--auth <token>`); or give NatsStartOptions.
   */
  static async start(count = 1, opts: readonly string[] | NatsStartOptions = {}): Promise<NatsFleetServers> {
    const o: NatsStartOptions = Array.isArray(opts) ? { extraArgs: opts as readonly string[] } : opts as NatsStartOptions;
    const host = o.host ?? await defaultHost();
    const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'mesh-nats-'));
    const ports = [];
    for (let i = 0; i < count; i++) ports.push({ client: await host.freePort(), cluster: count > 1 ? await host.freePort() : null });
    const routes = ports.map((p) => `nats://127.0.0.1:${String(p.cluster)}`).join(',');
    const servers = ports.map((p, i) => {
      const name = `n${i + 1}`;
      const store = join(dir, name);
      mkdirSync(store, { recursive: true });
      const args = ['-js', '-sd', store, '-p', String(p.client), '-a', '127.0.0.1', '-n', name, ...(o.extraArgs ?? [])];
      if (p.cluster !== null) args.push('--cluster_name', 'mesh-test', '--cluster', `nats://127.0.0.1:${p.cluster}`, '--routes', routes);
      return new NatsServerProcess(name, p.client, p.cluster, args, host);
    });
    const fleet = new NatsFleetServers(dir, o.dir === undefined, servers);
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
    if (this.#ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

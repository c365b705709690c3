/**
 * A MESH fleet in network namespaces (netns-lab.ts): node i lives in its own namespace at 10.77.0.<i+1>,
 * all on port 18790; its daemon and every CLI call that talks to the network run inside that
 * namespace (`ip netns exec`). Homes are set up through the real CLI: `mesh init --ip`, `mesh join`
 * of every peer with its Ed25519 public key (signing ed25519), and per pair optionally HMAC keys and
 * an AES-256-GCM key instead. `close()` stops the daemons (a paused one is resumed first), deletes the
 * namespaces and the homes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { describeRun, runMesh, spawnDaemon, type CliResult, type DaemonProcess } from './mesh-process.ts';
import { NetLab } from './netns-lab.ts';

export const FLEET_PORT = 18790;

type Json = Record<string, unknown>;

function check(r: CliResult, want = 0): CliResult {
  if (r.code !== want) throw new Error(`unexpected exit code (wanted ${want}): ${describeRun(r)}`);
  return r;
}

export class FleetNode {
  readonly name: string;
  readonly index: number;
  readonly home: string;
  readonly role: string;
  readonly #lab: NetLab;
  daemon: DaemonProcess | null = null;

  constructor(lab: NetLab, index: number, name: string, role: string, home: string) {
    this.#lab = lab;
    this.index = index;
    this.name = name;
    this.role = role;
    this.home = home;
  }

  get addr(): string {
    return this.#lab.addr(this.index);
  }
  get url(): string {
    return `http://${this.addr}:${FLEET_PORT}`;
  }
  get configFile(): string {
    return join(this.home, 'config', 'mesh.json');
  }

  /** `mesh <args> --home <home>` inside this node's namespace. */
  mesh(args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
    return runMesh([...args, '--home', this.home], { timeoutMs, wrap: (c, a) => this.#lab.wrap(this.index, c, a) });
  }

  async meshJson<T = Json>(args: readonly string[], want = 0): Promise<T> {
    const r = check(await this.mesh([...args, '--json']), want);
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`stdout is not JSON: ${describeRun(r)}`);
    }
  }

  async serve(): Promise<DaemonProcess> {
    if (this.daemon?.running) throw new Error(`${this.name}: already serving`);
    this.daemon = await spawnDaemon(['--home', this.home, '--host', this.addr, '--port', String(FLEET_PORT)], {
      wrap: (c, a) => this.#lab.wrap(this.index, c, a), timeoutMs: 60_000,
    });
    return this.daemon;
  }

  /** Read-only SQL on the node's database (a fresh connection: no stale snapshot). */
  query<T = Json>(sql: string, ...params: SQLInputValue[]): T[] {
    const db = new DatabaseSync(join(this.home, 'data', 'mesh.db'), { readOnly: true });
    try {
      db.exec('PRAGMA busy_timeout = 5000');
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  updateConfig(patch: Json): void {
    const cur = JSON.parse(readFileSync(this.configFile, 'utf8')) as Json;
    writeFileSync(this.configFile, `${JSON.stringify({ ...cur, ...patch }, null, 2)}\n`);
  }
}

export interface NetFleetOptions {
  /** name → registry role, in registry order. */
  nodes: readonly { name: string; role: string }[];
  /** Pairs that sign with a shared HMAC key (both directions) instead of Ed25519, and share a GCM key. */
  hmacPairs?: readonly [string, string][];
  /** Merged into every node's config/mesh.json (top-level sections replaced). */
  config?: Json;
}

export class NetFleet {
  readonly lab: NetLab;
  readonly root: string;
  readonly nodes: FleetNode[];

  private constructor(lab: NetLab, root: string, nodes: FleetNode[]) {
    this.lab = lab;
    this.root = root;
    this.nodes = nodes;
  }

  node(name: string): FleetNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  static async create(o: NetFleetOptions): Promise<NetFleet> {
    const lab = NetLab.create(o.nodes.length);
    const root = mkdtempSync(join(tmpdir(), 'mesh-netfleet-'));
    const fleet = new NetFleet(lab, root, o.nodes.map((n, i) => new FleetNode(lab, i, n.name, n.role, join(root, n.name))));
    try {
      await fleet.#setUp(o);
    } catch (e) {
      await fleet.close();
      throw e;
    }
    return fleet;
  }

  async #setUp(o: NetFleetOptions): Promise<void> {
    // Home set-up touches no network: it runs outside the namespaces.
    const cli = (n: FleetNode, args: readonly string[]): Promise<CliResult> => runMesh([...args, '--home', n.home], { timeoutMs: 60_000 });
    await Promise.all(this.nodes.map(async (n) => check(await cli(n, ['init', '--agent', n.name, '--ip', n.addr, '--port', String(FLEET_PORT), '--role', n.role]))));
    const tokens = new Map(this.nodes.map((n) => [n.name, String((JSON.parse(readFileSync(join(n.home, 'config', 'agent-registry.json'), 'utf8')) as { agents: Record<string, Json> }).agents[n.name]?.['token'])]));
    const publicKeys = new Map(this.nodes.map((n) => [n.name, readFileSync(join(n.home, 'config', 'identity-ed25519.pub'), 'utf8').trim()]));
    const hmac = (a: string, b: string): boolean => (o.hmacPairs ?? []).some(([x, y]) => (x === a && y === b) || (x === b && y === a));
    await Promise.all(this.nodes.map(async (n) => {
      for (const p of this.nodes) {
        if (p === n) continue;
        const signing = hmac(n.name, p.name) ? ['--signing', 'hmac', '--encryption', 'gcm'] : ['--signing', 'ed25519', '--public-key', publicKeys.get(p.name) as string, '--encryption', 'gcm'];
        check(await cli(n, ['join', p.name, p.addr, String(FLEET_PORT), tokens.get(p.name) as string, '--role', p.role, '--no-probe', ...signing]));
      }
    }));
    for (const [a, b] of o.hmacPairs ?? []) {
      const na = this.node(a);
      const nb = this.node(b);
      check(await cli(na, ['keygen', b]));
      check(await cli(nb, ['keygen', '--import', a, '--file', join(na.home, 'config', 'signing-keys', `${b}.key`)]));
      check(await cli(na, ['crypt', 'keygen', b]));
      check(await cli(nb, ['crypt', 'import', a, '--file', join(na.home, 'config', 'encryption-keys', `${b}.key`)]));
    }
    if (o.config) for (const n of this.nodes) n.updateConfig(o.config);
  }

  /** Stops every daemon (resuming paused ones), deletes the namespaces and the homes. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      if (n.daemon?.running) await n.daemon.stop(5_000);
    }));
    this.lab.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

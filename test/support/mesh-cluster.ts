/**
 * A small MESH fleet on loopback for integration tests: one temp home per agent, each on a free
 * 127.0.0.1 port, set up through the real CLI (`mesh init`, `mesh join` both ways, `mesh keygen`
 * shared per pair, optionally `mesh crypt keygen` shared per pair), then `mesh serve` daemons that
 * tests start, stop (SIGTERM) and crash (SIGKILL). `close()` kills every daemon and removes the homes;
 * call it in `after`/`finally`.
 *
 * Set-up runs about N² short CLI processes (28 for 4 nodes, 40 with encryption keys too). Commands on
 * one home run one after another, in the order a user would type them; commands on different homes
 * run in parallel, at most CLUSTER_SETUP_PARALLELISM at a time (each is a Node start, CPU-bound).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeRun, freePort, runMesh, spawnDaemon, type CliResult, type CommandWrapper, type DaemonProcess, type RunOptions } from './mesh-process.ts';
import { KeyedJobs, settleAll } from './keyed-jobs.ts';
import { CLEANUP_STOP_GRACE_MS } from './timeouts.ts';

/** Set-up CLI processes run at once: one per core (a Node start is CPU-bound), at least 2. */
export const CLUSTER_SETUP_PARALLELISM = Math.max(2, availableParallelism());

export type JsonObject = Record<string, unknown>;

export interface ClusterOptions {
  agents: readonly string[];
  /** Share an HMAC key per pair and require signatures both ways (default true). */
  signing?: boolean;
  /** Share an encryption key per pair and set this scheme in both registries (default: no keys). */
  encryption?: 'aes-256-cbc' | 'aes-256-gcm';
  /** Written into every node's registry. */
  groups?: Record<string, string[]>;
  /** Deep-merged into every node's config/mesh.json. */
  config?: JsonObject;
}

/** One message as `mesh inbox --json` shows it. */
export interface InboxView {
  id: string;
  from: string;
  to: string;
  type: string;
  subject: string;
  correlationId: string | null;
  auth: string;
  deliveryState: string;
  body: string;
}

function deepMerge(into: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(patch)) {
    const cur = into[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && cur !== null && typeof cur === 'object' && !Array.isArray(cur)) {
      deepMerge(cur as JsonObject, v as JsonObject);
    } else into[k] = v;
  }
  return into;
}

function check(r: CliResult, want = 0): CliResult {
  if (r.code !== want) throw new Error(`unexpected exit code (wanted ${want}): ${describeRun(r)}`);
  return r;
}

/** Polls `probe` every intervalMs until it returns a non-undefined value, or throws after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export class ClusterNode {
  readonly name: string;
  readonly home: string;
  readonly port: number;
  daemon: DaemonProcess | null = null;
  #starting: Promise<DaemonProcess> | null = null;

  constructor(name: string, home: string, port: number) {
    this.name = name;
    this.home = home;
    this.port = port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get registryFile(): string {
    return join(this.home, 'config', 'agent-registry.json');
  }
  get configFile(): string {
    return join(this.home, 'config', 'mesh.json');
  }
  get databaseFile(): string {
    return join(this.home, 'data', 'mesh.db');
  }

  /** The bearer token peers must present to this node's hooks. */
  get token(): string {
    return String((this.registry().agents as Record<string, JsonObject>)[this.name]?.['token']);
  }

  registry(): JsonObject & { agents: Record<string, JsonObject> } {
    return JSON.parse(readFileSync(this.registryFile, 'utf8')) as JsonObject & { agents: Record<string, JsonObject> };
  }
  updateRegistry(edit: (reg: JsonObject & { agents: Record<string, JsonObject> }) => void): void {
    const reg = this.registry();
    edit(reg);
    writeFileSync(this.registryFile, `${JSON.stringify(reg, null, 2)}\n`, { mode: 0o600 });
  }
  /** Deep-merges into config/mesh.json (read by the next process that opens the node). */
  updateConfig(patch: JsonObject): void {
    const cur = JSON.parse(readFileSync(this.configFile, 'utf8')) as JsonObject;
    writeFileSync(this.configFile, `${JSON.stringify(deepMerge(cur, patch), null, 2)}\n`);
  }

  /** `mesh <args> --home <this>`; never throws on a non-zero exit. */
  mesh(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
    return runMesh([...args, '--home', this.home], opts);
  }
  /** `mesh <args> --json --home <this>`, expecting exit `want` and JSON on stdout. */
  async meshJson<T = JsonObject>(args: readonly string[], want = 0, opts: RunOptions = {}): Promise<T> {
    const r = check(await this.mesh([...args, '--json'], opts), want);
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`stdout is not JSON: ${describeRun(r)}`);
    }
  }

  /**
   * Starts `mesh serve` on this node's port; env MESH_HANDLER=<handler> when given. `api: true` starts
   * the local API on a free port (`daemon.apiUrl`), `api: <port>` on that port; otherwise it is off.
   * `wrap` runs it under another command (e.g. strace; stop() signals the whole process group).
   * `logLevel` is passed as `--log-level` (the daemon's JSON log lines are in `daemon.stderr`).
   */
  async serve(opts: { handler?: string; env?: Record<string, string>; timeoutMs?: number; api?: boolean | number; wrap?: CommandWrapper; logLevel?: 'debug' | 'info' | 'warn' | 'error' } = {}): Promise<DaemonProcess> {
    if (this.daemon?.running || this.#starting) throw new Error(`${this.name}: mesh serve is already running`);
    const env = { ...opts.env, ...(opts.handler ? { MESH_HANDLER: opts.handler } : {}) };
    const apiPort = opts.api === true ? 0 : typeof opts.api === 'number' ? opts.api : null;
    const args = ['--home', this.home, '--port', String(this.port), ...(apiPort === null ? [] : ['--api-port', String(apiPort)]),
      ...(opts.logLevel === undefined ? [] : ['--log-level', opts.logLevel])];
    this.#starting = spawnDaemon(args, { env, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.wrap ? { wrap: opts.wrap } : {}) });
    try {
      this.daemon = await this.#starting;
    } finally {
      this.#starting = null;
    }
    return this.daemon;
  }

  /** Waits for a `serve()` still starting (so close() also stops a daemon that comes up late). */
  async settled(): Promise<void> {
    await this.#starting?.catch(() => undefined);
  }

  /** All inbox messages, via `mesh inbox --json --limit 0`. */
  async inbox(): Promise<InboxView[]> {
    return (await this.meshJson<{ messages: InboxView[] }>(['inbox', '--limit', '0'])).messages;
  }

  /** Read-only SQL on the node's database (a fresh connection per call: no stale snapshot). */
  query<T = JsonObject>(sql: string, ...params: SQLInputValue[]): T[] {
    const db = new DatabaseSync(this.databaseFile, { readOnly: true });
    try {
      db.exec('PRAGMA busy_timeout = 5000');
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  count(sql: string, ...params: SQLInputValue[]): number {
    return Number(Object.values(this.query(sql, ...params)[0] ?? { n: 0 })[0]);
  }
  outboxPending(): number {
    return this.count("SELECT count(*) AS n FROM outbox WHERE state = 'pending'");
  }
  deadLetters(): number {
    return this.count('SELECT count(*) AS n FROM dead_letters');
  }
}

export class MeshCluster {
  readonly root: string;
  readonly nodes: ClusterNode[];

  private constructor(root: string, nodes: ClusterNode[]) {
    this.root = root;
    this.nodes = nodes;
  }

  node(name: string): ClusterNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** A file in the cluster's temp folder (handler scripts, handler output). */
  path(name: string): string {
    return join(this.root, name);
  }

  /** Writes an executable script (mode 0755) into the cluster folder and returns its path. */
  script(name: string, text: string): string {
    const p = this.path(name);
    writeFileSync(p, text);
    chmodSync(p, 0o755);
    return p;
  }

  static async create(o: ClusterOptions): Promise<MeshCluster> {
    const root = mkdtempSync(join(tmpdir(), 'mesh-cluster-'));
    const nodes: ClusterNode[] = [];
    for (const name of o.agents) nodes.push(new ClusterNode(name, join(root, name), await freePort()));
    const cluster = new MeshCluster(root, nodes);
    try {
      await cluster.#setUp(o);
    } catch (e) {
      await cluster.close();
      throw e;
    }
    return cluster;
  }

  async #setUp(o: ClusterOptions): Promise<void> {
    const signing = o.signing ?? true;
    const jobs = new KeyedJobs(CLUSTER_SETUP_PARALLELISM);
    const on = (n: ClusterNode, args: string[], after: Promise<unknown>[] = []): Promise<CliResult> =>
      jobs.run([n.name], async () => check(await n.mesh(args)), after);
    await settleAll(this.nodes.map((n) => on(n, ['init', '--agent', n.name, '--port', String(n.port)])));
    const tokens = new Map(this.nodes.map((n) => [n.name, n.token]));
    const steps: Promise<unknown>[] = [];
    for (const n of this.nodes) {
      for (const p of this.nodes) {
        if (p === n) continue;
        const args = ['join', p.name, '127.0.0.1', String(p.port), tokens.get(p.name) as string, '--no-probe', '--signing', signing ? 'hmac' : 'none'];
        if (o.encryption) args.push('--encryption', o.encryption === 'aes-256-gcm' ? 'gcm' : 'cbc');
        steps.push(on(n, args));
      }
    }
    // One key per pair: made on a, imported from a's file on b (after b's joins, which come first on b).
    for (const [i, a] of this.nodes.entries()) {
      for (const b of this.nodes.slice(i + 1)) {
        if (signing) {
          const made = on(a, ['keygen', b.name]);
          steps.push(made, on(b, ['keygen', '--import', a.name, '--file', join(a.home, 'config', 'signing-keys', `${b.name}.key`)], [made]));
        }
        if (o.encryption) {
          const made = on(a, ['crypt', 'keygen', b.name]);
          steps.push(made, on(b, ['crypt', 'import', a.name, '--file', join(a.home, 'config', 'encryption-keys', `${b.name}.key`)], [made]));
        }
      }
    }
    await settleAll(steps);
    for (const n of this.nodes) {
      if (o.groups) n.updateRegistry((reg) => (reg['groups'] = o.groups));
      if (o.config) n.updateConfig(o.config);
    }
  }

  /** Sets the encryption scheme of every peer entry on every node. */
  setEncryption(scheme: 'aes-256-cbc' | 'aes-256-gcm'): void {
    for (const n of this.nodes) {
      n.updateRegistry((reg) => {
        for (const [name, e] of Object.entries(reg.agents)) if (name !== n.name) e['encryption'] = scheme;
      });
    }
  }

  /** Stops every daemon still running (SIGTERM, SIGKILL after CLEANUP_STOP_GRACE_MS) and removes the homes. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      await n.settled();
      if (n.daemon?.running) await n.daemon.stop(CLEANUP_STOP_GRACE_MS);
    }));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Child processes of the benchmarks: the `mesh` CLI (built dist/, as users run it), `mesh serve`
 * daemons and helper scripts. Every long-running child gets its own process group and is tracked, so
 * run.ts can kill whatever is left (the daemon and any handler it spawned) even after a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { NatsProcessHost } from '../../test/support/nats-server.ts';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const MESH_BIN = join(REPO, 'dist', 'cli', 'bin.js');
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

const live = new Set<ChildProcess>();

/** Environment for children: the bench's own, minus anything that would redirect a node. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['MESH_HOME', 'MESH_AGENT', 'NODE_OPTIONS', 'NODE_COMPILE_CACHE']) if (!(k in extra)) delete env[k];
  if (!('MESH_HANDLER' in extra)) delete env['MESH_HANDLER'];
  return env;
}

export function assertBuilt(): void {
  if (!existsSync(MESH_BIN)) throw new Error(`${MESH_BIN} is missing: run \`npm run build\` first (npm run bench does)`);
}

/** Runs `mesh <args>` to completion; throws with its stderr on a non-zero exit. Returns stdout. */
export function cli(args: readonly string[], input?: string): string {
  const r = spawnSync(process.execPath, [MESH_BIN, ...args], { input, encoding: 'utf8', env: childEnv(), timeout: 60_000 });
  if (r.status !== 0) throw new Error(`mesh ${args.join(' ')} exited ${String(r.status ?? r.signal)}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A free loopback TCP port (bound, read, released: a small race that is fine on a test machine). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

export interface ChildHandle {
  pid: number;
  /** The first stdout line, parsed as JSON (the readiness announcement). */
  ready: Record<string, unknown>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-8).join('\n');
  } catch {
    return '';
  }
}

/**
 * Spawns `node <args>` in its own process group, stderr to `logFile`, and waits for its first stdout
 * line (JSON). The child is tracked until it exits.
 */
export async function startChild(args: readonly string[], logFile: string, env: NodeJS.ProcessEnv): Promise<ChildHandle> {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', fd], env, detached: true });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => {
      live.delete(child);
      done(code);
    });
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no readiness line within ${READY_TIMEOUT_MS} ms from node ${args.join(' ')}\n${tail(logFile)}`)), READY_TIMEOUT_MS);
    lines.once('line', (l) => {
      clearTimeout(timer);
      ok(l);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`node ${args.join(' ')} exited (${String(code)}) before it was ready\n${tail(logFile)}`));
    });
  });
  let ready: Record<string, unknown>;
  try {
    ready = JSON.parse(await first) as Record<string, unknown>;
  } catch (e) {
    kill(child, 'SIGKILL');
    throw e;
  }
  lines.on('line', () => undefined); // keep draining stdout
  return {
    pid: child.pid as number,
    ready,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      kill(child, 'SIGTERM');
      const timer = setTimeout(() => kill(child, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      kill(child, 'SIGKILL'); // leftovers of the group (e.g. a handler the daemon started)
    },
  };
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export interface ServeHandle extends ChildHandle {
  url: string;
  /** The local API's URL, when `apiPort` started it. */
  api: string | null;
}

/** BENCH_PROFILE_DIR=<dir>: every daemon writes a V8 CPU profile there when it stops. */
function profileArgs(): string[] {
  const dir = process.env['BENCH_PROFILE_DIR'];
  return dir ? ['--cpu-prof', '--cpu-prof-dir', resolve(dir)] : [];
}

/**
 * `mesh serve --json --home <home> --port <port>`, ready once it announced its URL. The local API is
 * off unless `apiPort` is given (0: any free port).
 */
export async function startServe(home: string, port: number, logFile: string, extraEnv: Record<string, string> = {}, apiPort?: number): Promise<ServeHandle> {
  const api = apiPort === undefined ? ['--no-api'] : ['--api-port', String(apiPort)];
  const args = [...profileArgs(), MESH_BIN, 'serve', '--json', '--home', home, '--port', String(port), ...api];
  const h = await startChild(args, logFile, childEnv(extraEnv));
  const url = h.ready['url'];
  if (typeof url !== 'string') {
    await h.stop();
    throw new Error(`mesh serve announced no url: ${JSON.stringify(h.ready)}`);
  }
  const apiUrl = h.ready['api'];
  return { ...h, url, api: typeof apiUrl === 'string' ? apiUrl : null };
}

/** Tracks a child spawned elsewhere (with `detached: true`) so killAllChildren() kills its group too. */
export function trackChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * The bench's process tracking for the shared nats-server helper (test/support/nats-server.ts, used by
 * tests and bench alike): the server leads its own process group and is tracked, so killAllChildren()
 * kills it with the other children even after a failure.
 */
export const benchNatsHost: NatsProcessHost = {
  freePort,
  launch(bin, args, onOutput) {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid === undefined) {
      child.once('error', () => undefined);
      throw new Error(`could not spawn ${bin}`);
    }
    trackChild(child);
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
    return {
      pid: child.pid,
      exited,
      hasExited: gone,
      async kill() {
        if (!gone()) kill(child, 'SIGKILL');
        await exited;
      },
      async stop(graceMs) {
        if (gone()) return;
        kill(child, 'SIGTERM');
        const timer = setTimeout(() => kill(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
  },
};

/** Signals `child`'s process group (spawned with `detached: true`). */
export function signalGroupOf(child: ChildProcess, signal: NodeJS.Signals): void {
  kill(child, signal);
}

/** Kills every child still running (synchronous: safe in an 'exit' handler). */
export function killAllChildren(): void {
  for (const c of live) kill(c, 'SIGKILL');
  live.clear();
}

/** Resident set size of a process in KiB (Linux /proc), or null. */
export function rssKb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function statFields(pid: number | 'self'): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU time (user + system, ms) a process has used so far, or null (not Linux, or gone). */
export function cpuMsOf(pid: number): number | null {
  const f = statFields(pid);
  return f === null ? null : (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** CPU time (ms) of a process itself and of its finished, waited-for children (a daemon's handler scripts), or null. */
export function cpuSplitMsOf(pid: number): { own: number; children: number } | null {
  const f = statFields(pid);
  return f === null ? null : { own: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
}

/** CPU time (ms) of this process's finished, waited-for children, or null (not Linux). */
export function childrenCpuMs(): number | null {
  const f = statFields('self');
  return f === null ? null : (Number(f[13]) + Number(f[14])) * TICK_MS;
}

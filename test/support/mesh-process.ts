/**
 * Real `mesh` processes for integration tests: one-shot CLI runs (stdout, stderr, exit code, all
 * bounded by a timeout) and long-running `mesh serve` daemons that can be stopped with SIGTERM or
 * crashed with SIGKILL. Every child leads its own process group and is registered with
 * process-group.ts, which kills whatever is left (group and descendants) when the test process
 * exits, fails or is signalled, and fails a test file that leaves one running.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { withCompileCache } from './compile-cache.ts';
import { keepAliveUntil, killAllGroups, killTree, registerChild, signalGroup, spawnGroup, terminateGroup, type GroupChild } from './process-group.ts';
import { CLI_RUN_TIMEOUT_MS, DAEMON_LISTEN_TIMEOUT_MS, DAEMON_STOP_TIMEOUT_MS } from './timeouts.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MESH_BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));

/** Signals `child`'s process group (or the child alone when it leads none). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  if (signalGroup(child.pid, signal)) return;
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs every child this process started (groups and descendants). Safe to call any time. */
export function killAllChildren(): void {
  killAllGroups();
}

/** Kills `child` (spawned with `detached: true`) with the others when this test process ends. */
export function track(child: ChildProcess): void {
  registerChild(child);
}

/** A free TCP port on 127.0.0.1 (bound to port 0, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export interface CliResult {
  args: readonly string[];
  /** Exit code; null when the process was killed (timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  /** Extra environment on top of this process's (MESH_HOME is removed so --home decides). */
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
  /** Called with each complete stdout line as it arrives (progress of a long-running child). */
  onLine?: (line: string) => void;
  /** Runs the command through a wrapper, e.g. `ip netns exec <ns>` (test/support/netns-lab.ts). */
  wrap?: CommandWrapper;
}

/** Puts a command behind another one that execs it (same pid), e.g. `ip netns exec <ns> <command> …`. */
export type CommandWrapper = (command: string, args: readonly string[]) => { command: string; args: string[] };
const unwrapped: CommandWrapper = (command, args) => ({ command, args: [...args] });

/**
 * This process's environment for a child `mesh`: NO_COLOR, the suite's compile cache
 * (compile-cache.ts), and MESH_HOME/MESH_HANDLER only when given.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...withCompileCache(process.env), NO_COLOR: '1', ...extra };
  if (extra['MESH_HOME'] === undefined) delete env['MESH_HOME'];
  if (extra['MESH_HANDLER'] === undefined) delete env['MESH_HANDLER'];
  return env;
}

/** Runs `node src/cli/bin.ts <args>` to completion (SIGKILL of its group after timeoutMs, default CLI_RUN_TIMEOUT_MS). */
export function runMesh(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return runNodeScript(MESH_BIN, args, opts);
}

/** Runs `node <script> <args>` to completion, like runMesh. */
export function runNodeScript(script: string, args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const started = performance.now();
  const run = (opts.wrap ?? unwrapped)(process.execPath, [script, ...args]);
  const { child, pgid } = spawnGroup(run.command, run.args, {
    cwd: REPO_ROOT,
    env: childEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let partial = '';
  const stdout = child.stdout as NonNullable<ChildProcess['stdout']>;
  const stderr = child.stderr as NonNullable<ChildProcess['stderr']>;
  const stdin = child.stdin as NonNullable<ChildProcess['stdin']>;
  stdout.on('data', (c: Buffer) => {
    out.push(c);
    if (opts.onLine === undefined) return;
    const lines = (partial + c.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) opts.onLine(l);
  });
  stderr.on('data', (c: Buffer) => err.push(c));
  stdin.on('error', () => undefined);
  stdin.end(opts.input ?? '');
  const timer = setTimeout(() => killTree(pgid), opts.timeoutMs ?? CLI_RUN_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        args,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

/** Compact description of a CLI result for assertion messages. */
export function describeRun(r: CliResult): string {
  return `mesh ${r.args.join(' ')} → code ${String(r.code)}${r.signal ? ` (${r.signal})` : ''} in ${r.ms} ms\n` +
    `stdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `mesh serve` child. */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Base URL from the "listening on" line. */
  readonly url: string;
  /** Base URL of the local API, when it was started (spawnDaemon turns it off unless asked). */
  readonly apiUrl: string | null;
  readonly exited: Promise<ExitInfo>;
  readonly #log: { stdout: string; stderr: string };
  readonly #group: GroupChild;

  constructor(child: ChildProcess, url: string, log: { stdout: string; stderr: string }, exited: Promise<ExitInfo>, apiUrl: string | null = null) {
    this.child = child;
    this.pid = child.pid as number;
    this.url = url;
    this.apiUrl = apiUrl;
    this.#log = log;
    this.exited = exited;
    this.#group = { child, pgid: this.pid, exited, hasExited: () => !this.running };
  }

  get stdout(): string {
    return this.#log.stdout;
  }
  get stderr(): string {
    return this.#log.stderr;
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * SIGTERM to the daemon (as `kill <pid>` would) and wait; after timeoutMs, SIGKILL of its group and
   * of every descendant seen meanwhile (its handlers run in groups of their own). Returns how it
   * ended and how long it took.
   */
  async stop(timeoutMs = DAEMON_STOP_TIMEOUT_MS): Promise<ExitInfo & { ms: number; forced: boolean }> {
    const started = performance.now();
    if (!this.running) return { ...(await this.exited), ms: 0, forced: false };
    this.child.kill('SIGCONT'); // a paused daemon would not see SIGTERM until resumed
    const { forced } = await terminateGroup(this.#group, { graceMs: timeoutMs, leaderOnly: true, spareAfterGracefulExit: true });
    return { ...(await this.exited), ms: Math.round(performance.now() - started), forced };
  }

  /** SIGSTOP: the daemon hangs (its port still accepts connections, nothing answers), as a stuck peer. */
  pause(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** kill -9 of the daemon process only (its handler children live on, as after a real crash). */
  async crash(): Promise<ExitInfo> {
    if (this.running) this.child.kill('SIGKILL');
    return keepAliveUntil(this.exited);
  }
}

const LISTENING_RE = /listening on (http:\/\/\S+)/;
const API_RE = /API and dashboard on (http:\/\/[^;\s]+)/;

/**
 * Spawns `mesh serve <args>` and resolves once it printed its "listening on" line; rejects (after
 * killing it) when it exits first or does not listen within timeoutMs (default DAEMON_LISTEN_TIMEOUT_MS).
 * The local API is off (`--no-api`: test daemons must not compete for its default port) unless
 * `args` set `--api-port` or `--no-api` themselves.
 */
export function spawnDaemon(args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number; wrap?: CommandWrapper } = {}): Promise<DaemonProcess> {
  const apiArgs = args.includes('--api-port') || args.includes('--no-api') ? [] : ['--no-api'];
  const run = (opts.wrap ?? unwrapped)(process.execPath, [MESH_BIN, 'serve', ...args, ...apiArgs]);
  const { child, pgid } = spawnGroup(run.command, run.args, {
    cwd: REPO_ROOT,
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = child.stdout as NonNullable<ChildProcess['stdout']>;
  const stderr = child.stderr as NonNullable<ChildProcess['stderr']>;
  const timeoutMs = opts.timeoutMs ?? DAEMON_LISTEN_TIMEOUT_MS;
  const log = { stdout: '', stderr: '' };
  stdout.setEncoding('utf8');
  stderr.setEncoding('utf8');
  stderr.on('data', (c: string) => (log.stderr += c));
  const exited = new Promise<ExitInfo>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise<DaemonProcess>((resolve, reject) => {
    let done = false;
    const finish = (e: Error | null, url?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (e) {
        killTree(pgid);
        reject(e);
      } else resolve(new DaemonProcess(child, url as string, log, exited, API_RE.exec(log.stdout)?.[1] ?? null));
    };
    const timer = setTimeout(() => finish(new Error(`mesh serve did not listen within ${timeoutMs} ms\nstderr: ${log.stderr}`)), timeoutMs);
    stdout.on('data', (c: string) => {
      log.stdout += c;
      const m = LISTENING_RE.exec(log.stdout);
      if (m?.[1]) finish(null, m[1]);
    });
    child.once('error', (e) => finish(e));
    void exited.then((x) => finish(new Error(`mesh serve exited (${String(x.code ?? x.signal)}) before listening\nstderr: ${log.stderr}`)));
  });
}

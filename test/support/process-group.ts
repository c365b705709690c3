/**
 * Child processes of tests that own a process group, so that a `mesh serve`, a gateway, and
 * everything they spawn can be stopped together, and are stopped on success, failure, time-out and
 * interruption alike. Shared by the integration support (mesh-process.ts) and the e2e harness.
 *
 * Contract:
 * - `spawnGroup` starts the child detached (leader of a new group whose id is its pid), registers it,
 *   and adds the markers below to its environment.
 * - `stopGroup` sends SIGTERM to the group (or only the leader), waits up to `graceMs`, then SIGKILLs
 *   the group and every descendant it saw meanwhile (a daemon's handlers and a gateway's workers run
 *   in process groups of their own) and checks that none is left.
 * - When this process exits (normally, on an uncaught exception, or on SIGINT/SIGTERM/SIGHUP, which
 *   are turned into an exit with status 128+n so 'exit' listeners run), every registered group still
 *   running, its descendants, and every process carrying this process's owner marker are SIGKILLed,
 *   synchronously. Only a SIGKILL of this process itself skips that; the suite's final leak check
 *   (scripts/run-tests.ts) catches what it leaves.
 * - A test file (run by `node --test`) that exits normally with processes of its own still running
 *   fails: after a grace period for processes ending on their own, each is named on stderr and the
 *   exit status becomes 1, which the runner reports as a failure of that file. This happens at
 *   'exit', after every hook of the file has run (its own clean-up included).
 * - So that a leaked child cannot keep a test file (and the runner) alive for ever, children stop
 *   holding the event loop open once the file's tests are done: a root `after` hook, registered
 *   here before any of the file's own, unrefs them (and any started later). The file then exits
 *   when its own clean-up is done, and the check above names and kills what is left.
 *   (`--test-force-exit` would do the same, but it silently drops the results of the last tests of
 *   a file: nodejs/node#64833.)
 *
 * Markers: this process puts MESH_TEST_OWNER (its pid and start time) and MESH_TEST_FILE (the test
 * file) into its own environment, so every descendant inherits them however it was spawned, even
 * after it is re-parented; MESH_TEST_RUN comes from scripts/run-tests.ts. Linux-only (/proc).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { constants } from 'node:os';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeProcs, repoRelative, TEST_FILE_ENV, TEST_OWNER_ENV, TEST_RUN_ENV } from './leftovers.ts';
import { isSameProcessAlive, ownStart, processTree, processesWithEnv, readProc, type ProcInfo } from './proc-table.ts';
import { LEFTOVER_GRACE_MS } from './timeouts.ts';

export { groupMembers, isSameProcessAlive, memoryOf, processTree, type ProcInfo } from './proc-table.ts';
export { TEST_FILE_ENV, TEST_OWNER_ENV, TEST_RUN_ENV } from './leftovers.ts';

const TEST_FILE_RE = /\.(test|e2e|fixture)\.[cm]?[jt]s$/;

export interface GroupChild {
  child: ChildProcess;
  /** Pid of the leader, which is also the process-group id. */
  pgid: number;
  /** Resolves with the leader's exit status (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

const owner = `${process.pid}:${ownStart()}`;
process.env[TEST_OWNER_ENV] = owner;
if (!process.env[TEST_FILE_ENV] && process.argv[1] !== undefined) {
  process.env[TEST_FILE_ENV] = repoRelative(process.argv[1]);
}

/** Leaders of the groups this process started and has not seen exit yet (and how /proc first saw them). */
const live = new Map<number, { child: ChildProcess; proc: ProcInfo | undefined }>();
/** Set once the test file's tests are done: children no longer keep the event loop alive. */
let released = false;
/** Set when a signal ends this process: what is left then is killed, not reported. */
let interrupted = false;
const asTestFile = process.env['NODE_TEST_CONTEXT'] !== undefined && TEST_FILE_RE.test(process.argv[1] ?? '');

/** Signals group `pgid`; false when no such group exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    return false;
  }
}

function killProcs(procs: Iterable<ProcInfo>): void {
  for (const p of procs) {
    if (!isSameProcessAlive(p)) continue;
    if (p.pgid === p.pid) signalGroup(p.pgid, 'SIGKILL');
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch { /* gone */ }
  }
}

/** Registered groups still running, their descendants, and every process carrying our marker. */
function ours(): ProcInfo[] {
  const found = new Map<number, ProcInfo>();
  for (const [pgid, { proc }] of live) {
    if (proc !== undefined && !isSameProcessAlive(proc)) continue;
    for (const p of processTree(pgid)) found.set(p.pid, p);
  }
  for (const p of processesWithEnv(TEST_OWNER_ENV, owner)) found.set(p.pid, p);
  return [...found.values()];
}

/** Synchronous, for exit paths: SIGKILL everything this process started that is still running. */
export function killAllGroups(): void {
  // Descendants first: once a leader dies, its children are re-parented out of reach of processTree.
  const seen = ours();
  for (const [pgid, { proc }] of live) {
    // Only while the leader lives is the group id certainly ours (ids are reused once a group is empty).
    if (proc === undefined || isSameProcessAlive(proc)) signalGroup(pgid, 'SIGKILL');
  }
  killProcs(seen);
  live.clear();
}

/** Blocks this thread for `ms` (only for exit paths, where nothing else can run anyway). */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * At the normal exit of a test file: what it started and is still running after LEFTOVER_GRACE_MS
 * (polled, so nothing is waited for when nothing is left) is named on stderr, and the file fails.
 */
function reportLeftovers(): void {
  const deadline = performance.now() + LEFTOVER_GRACE_MS;
  let left = ours();
  while (left.length > 0 && performance.now() < deadline) {
    blockFor(100);
    left = ours();
  }
  if (left.length === 0) return;
  process.stderr.write(`\n✖ ${left.length} process(es) started by ${process.env[TEST_FILE_ENV] || 'this test file'} were still running when its tests had finished (now killed):\n${describeProcs(left)}\n`);
  process.exitCode = 1;
}

process.on('exit', () => {
  if (asTestFile && !interrupted) reportLeftovers();
  killAllGroups();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    interrupted = true;
    killAllGroups();
    // Exit (rather than re-raise) so that 'exit' listeners, e.g. state-dir clean-up, still run.
    process.exit(128 + constants.signals[sig]);
  });
}

/**
 * `p`, with the event loop kept alive until it settles: a child's exit is awaited safely even after
 * the child was unref'd (else the process could end while a hook still waits for it).
 */
export async function keepAliveUntil<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => undefined, 60_000);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

/** The child and its pipes stop keeping this process's event loop alive (events still arrive while it is). */
function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of child.stdio) (stream as { unref?: () => void } | null)?.unref?.();
}

/** Registers a child spawned elsewhere (ideally `detached: true`) to be killed with the others. */
export function registerChild(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  live.set(pid, { child, proc: readProc(pid) });
  child.once('exit', () => live.delete(pid));
  if (released) unrefChild(child);
}

/**
 * The environment for a child: `env` (default this process's) with our owner marker, and the run and
 * file markers unless `env` sets them itself ('' for a nested test run that is not part of ours).
 */
export function markedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const marked: NodeJS.ProcessEnv = { ...env, [TEST_OWNER_ENV]: owner };
  for (const name of [TEST_RUN_ENV, TEST_FILE_ENV]) {
    const v = process.env[name];
    if (v !== undefined && !(name in env)) marked[name] = v;
  }
  return marked;
}

export function spawnGroup(command: string, args: readonly string[], opts: SpawnOptions = {}): GroupChild {
  const child = spawn(command, args, { ...opts, env: markedEnv(opts.env), detached: true });
  const pgid = child.pid;
  if (pgid === undefined) {
    // spawn reports ENOENT and the like asynchronously; keep the error from going unhandled.
    child.once('error', () => undefined);
    throw new Error(`could not spawn ${command}`);
  }
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  registerChild(child);
  return { child, pgid, exited, hasExited: () => done };
}

/** SIGKILLs group `pgid` and every descendant of it alive now. */
export function killTree(pgid: number): void {
  const tree = processTree(pgid);
  signalGroup(pgid, 'SIGKILL');
  killProcs(tree);
}

export interface RunResult {
  /** Exit code; null when the process was killed (time-out). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** True when the time-out fired and the group was killed. */
  timedOut: boolean;
}

/**
 * Runs `command args` to completion in a group of its own; after `timeoutMs` SIGKILLs the group and
 * every descendant. stdin gets `input` (default: nothing, closed).
 */
export function runToEnd(command: string, args: readonly string[], opts: SpawnOptions & { input?: string; timeoutMs: number }): Promise<RunResult> {
  const { input, timeoutMs, ...spawnOpts } = opts;
  const started = performance.now();
  const g = spawnGroup(command, args, { ...spawnOpts, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  g.child.stdout?.on('data', (c: Buffer) => out.push(c));
  g.child.stderr?.on('data', (c: Buffer) => err.push(c));
  g.child.stdin?.on('error', () => undefined);
  g.child.stdin?.end(input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(g.pgid);
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    g.child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    g.child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code, signal, timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

export interface TerminateOptions {
  /** How long to wait after SIGTERM before SIGKILL. */
  graceMs: number;
  /** SIGTERM only the leader (as `kill <pid>` would), not the whole group. */
  leaderOnly?: boolean;
  /** After a graceful exit, leave descendants that are still running alone (they may be finishing work). */
  spareAfterGracefulExit?: boolean;
}

/**
 * SIGTERM, wait up to graceMs, SIGKILL the group and every descendant seen meanwhile. Resolves
 * with whether SIGKILL was needed and which of those processes (if any) survived it.
 */
export async function terminateGroup(g: GroupChild, o: TerminateOptions): Promise<{ forced: boolean; survivors: ProcInfo[] }> {
  const tracked = new Map<number, ProcInfo>();
  const track = (): void => {
    for (const p of processTree(g.pgid)) tracked.set(p.pid, p);
  };
  track();
  let forced = false;
  if (!g.hasExited()) {
    if (o.leaderOnly) {
      try {
        g.child.kill('SIGTERM');
      } catch { /* gone */ }
    } else signalGroup(g.pgid, 'SIGTERM');
    // Keep tracking while the leader shuts down: its orphans are re-parented away once it is gone.
    const deadline = performance.now() + o.graceMs;
    while (!g.hasExited() && performance.now() < deadline) {
      track();
      await Promise.race([g.exited, sleep(100)]);
    }
    if (!g.hasExited()) {
      track();
      forced = true;
      signalGroup(g.pgid, 'SIGKILL');
    }
    await keepAliveUntil(g.exited);
  }
  if (forced || !o.spareAfterGracefulExit) {
    signalGroup(g.pgid, 'SIGKILL');
    killProcs(tracked.values());
  } else {
    live.delete(g.pgid);
    return { forced, survivors: [] };
  }
  const survivors = (): ProcInfo[] => [...tracked.values()].filter(isSameProcessAlive);
  for (let i = 0; i < 50 && survivors().length > 0; i++) await sleep(100);
  live.delete(g.pgid);
  return { forced, survivors: survivors() };
}

export async function stopGroup(g: GroupChild, graceMs = 10_000): Promise<void> {
  const { survivors } = await terminateGroup(g, { graceMs });
  if (survivors.length > 0) throw new Error(`processes of group ${g.pgid} survived SIGKILL: ${survivors.map((p) => p.pid).join(', ')}`);
}

// Only in a test file's own process (a script a test spawns inherits NODE_TEST_CONTEXT too). Root
// `after` hooks run in the order they were registered, and this one comes before the file's own.
if (asTestFile) {
  after(() => {
    released = true;
    for (const { child } of live.values()) unrefChild(child);
  });
}

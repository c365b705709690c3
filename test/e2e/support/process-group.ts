// Child processes that own a process group, so that a gateway and everything it spawns can be
// stopped together, and are stopped even when a test fails or the test process is interrupted.
//
// Contract: `spawnGroup` starts the child detached (it becomes the leader of a new group whose id
// is its pid) and registers it. `stopGroup` sends SIGTERM to the group, waits up to `graceMs` for
// the leader to exit, then SIGKILLs the group and every descendant it saw meanwhile (OpenClaw runs
// its spawn broker and each exec'd command in process groups of their own), and checks that none
// is left. Registered groups still running when the test process exits (uncaught error, SIGINT,
// SIGTERM, SIGHUP) are SIGKILLed synchronously with their descendants. Only a SIGKILL of the test
// process itself can leak them. Descendant tracking reads /proc, so it is Linux-only.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface GroupChild {
  child: ChildProcess;
  /** Pid of the leader, which is also the process-group id. */
  pgid: number;
  /** Resolves with the leader's exit status (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

/** One process as seen in /proc; `start` (clock ticks since boot) tells a reused pid apart. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  start: string;
}

const live = new Set<number>();
let hooksInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command: state(0) ppid(1) pgrp(2) ... starttime(19).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') return undefined;
    return { pid, ppid: Number(f[1]), pgid: Number(f[2]), start: f[19] ?? '' };
  } catch {
    return undefined; // exited while we looked, or no /proc
  }
}

function allProcs(): ProcInfo[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+$/.test(n)).map((n) => readProc(Number(n))).filter((p) => p !== undefined);
}

/** Live members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  return allProcs().filter((p) => p.pgid === pgid).map((p) => p.pid);
}

/** The live process `root`, the members of its group, and all their descendants. */
export function processTree(root: number): ProcInfo[] {
  const procs = allProcs();
  const out = new Map<number, ProcInfo>();
  for (const p of procs) if (p.pid === root || p.pgid === root) out.set(p.pid, p);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) {
      if (!out.has(p.pid) && out.has(p.ppid)) {
        out.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...out.values()];
}

/** True while the very process described by `p` (same pid and start time) is alive. */
export function isSameProcessAlive(p: ProcInfo): boolean {
  return readProc(p.pid)?.start === p.start;
}

function killTracked(tracked: Iterable<ProcInfo>): void {
  for (const p of tracked) {
    if (!isSameProcessAlive(p)) continue;
    if (p.pgid === p.pid) killGroup(p.pgid, 'SIGKILL');
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch { /* gone */ }
  }
}

/** Synchronous, for exit paths: SIGKILL every registered group and its descendants. */
function killAllLive(): void {
  for (const pgid of live) {
    const tree = processTree(pgid);
    killGroup(pgid, 'SIGKILL');
    killTracked(tree);
  }
  live.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllLive);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllLive();
      // Exit (rather than re-raise) so that 'exit' listeners, e.g. state-dir clean-up, still run.
      process.exit(128 + constants.signals[sig]);
    });
  }
}

export function spawnGroup(command: string, args: string[], opts: SpawnOptions): GroupChild {
  installExitHooks();
  const child = spawn(command, args, { ...opts, detached: true });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not spawn ${command}`);
  live.add(pgid);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  return { child, pgid, exited, hasExited: () => done };
}

export async function stopGroup(g: GroupChild, graceMs = 10_000): Promise<void> {
  const tracked = new Map<number, ProcInfo>();
  const track = (): void => {
    for (const p of processTree(g.pgid)) tracked.set(p.pid, p);
  };
  track();
  if (!g.hasExited()) {
    killGroup(g.pgid, 'SIGTERM');
    // Keep tracking while the leader shuts down: its orphans are reparented away once it is gone.
    const deadline = performance.now() + graceMs;
    while (!g.hasExited() && performance.now() < deadline) {
      track();
      await Promise.race([g.exited, sleep(100)]);
    }
    if (!g.hasExited()) {
      track();
      killGroup(g.pgid, 'SIGKILL');
    }
    await g.exited;
  }
  killGroup(g.pgid, 'SIGKILL');
  killTracked(tracked.values());
  const survivors = (): ProcInfo[] => [...tracked.values()].filter(isSameProcessAlive);
  for (let i = 0; i < 50 && survivors().length > 0; i++) await sleep(100);
  live.delete(g.pgid);
  const left = survivors();
  if (left.length > 0) throw new Error(`processes of group ${g.pgid} survived SIGKILL: ${left.map((p) => p.pid).join(', ')}`);
}

/** Current and peak resident set size of one process, in KiB. */
export function memoryOf(pid: number): { rssKb: number; peakRssKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') };
  } catch {
    return undefined;
  }
}

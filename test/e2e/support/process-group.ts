// Child processes that own a process group, so that a gateway and every worker it spawns can be
// stopped together, and are stopped even when a test fails or the test process is interrupted.
//
// Contract: `spawnGroup` starts the child detached (it becomes the leader of a new group whose id
// is its pid) and registers the group. `stopGroup` sends SIGTERM to the group, waits up to
// `graceMs` for the leader to exit, then SIGKILLs the group, and finally checks that no member is
// left. Groups still registered when the test process exits (uncaught error, SIGINT, SIGTERM,
// SIGHUP) are SIGKILLed synchronously. Only a SIGKILL of the test process itself can leak them.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface GroupChild {
  child: ChildProcess;
  /** Pid of the leader, which is also the process-group id. */
  pgid: number;
  /** Resolves with the leader's exit status (code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
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

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const pgid of live) killGroup(pgid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const pgid of live) killGroup(pgid, 'SIGKILL');
      live.clear();
      // Re-raise with the default action now that our listener is gone.
      process.kill(process.pid, sig);
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

/** Pids whose process group is `pgid` (Linux /proc; empty elsewhere). */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(name));
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

export async function stopGroup(g: GroupChild, graceMs = 10_000): Promise<void> {
  if (!g.hasExited()) {
    killGroup(g.pgid, 'SIGTERM');
    const graceful = await Promise.race([g.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!graceful) killGroup(g.pgid, 'SIGKILL');
    await g.exited;
  }
  // Workers may outlive the leader; the group id stays valid while any member lives.
  killGroup(g.pgid, 'SIGKILL');
  for (let i = 0; i < 50 && groupMembers(g.pgid).length > 0; i++) await sleep(100);
  const left = groupMembers(g.pgid);
  live.delete(g.pgid);
  if (left.length > 0) throw new Error(`process group ${g.pgid} still has members after SIGKILL: ${left.join(', ')}`);
}

/** Current and peak resident set size of one process, in KiB (Linux /proc). */
export function memoryOf(pid: number): { rssKb: number; peakRssKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') };
  } catch {
    return undefined;
  }
}

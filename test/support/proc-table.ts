/**
 * The Linux process table as the test suite needs it (read from /proc): who is alive, in which
 * process group, whose descendant, with what command line, and which test run left it there.
 *
 * Contract: every function is synchronous (usable from 'exit' handlers), never throws on a process
 * that vanishes while it is read, and answers "nothing" where /proc does not exist. A pid alone can
 * be reused; `ProcInfo.start` (clock ticks since boot) tells a new process apart from the one seen.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** One process as seen in /proc. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  start: string;
}

export function readProc(pid: number): ProcInfo | undefined {
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

export function allProcs(): ProcInfo[] {
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

/** The command line of `pid`, arguments joined by spaces ('' when unknown or gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** The value of `name` in the environment `pid` was started with, or undefined. */
export function environValue(pid: number, name: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
  const prefix = `${name}=`;
  for (const entry of text.split('\0')) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return undefined;
}

/** Live processes (other than this one) started with `name=value` in their environment. */
export function processesWithEnv(name: string, value: string): ProcInfo[] {
  return allProcs().filter((p) => p.pid !== process.pid && environValue(p.pid, name) === value);
}

/** This process's start time (ticks since boot), to tell it apart from a later one with its pid. */
export function ownStart(): string {
  return readProc(process.pid)?.start ?? '';
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

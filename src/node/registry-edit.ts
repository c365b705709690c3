/**
 * Changes to config/agent-registry.json made by the CLI (`mesh join`, `mesh peer remove`,
 * `mesh group …`, `mesh keygen --enable`). Each change is read-modify-write under an exclusive
 * lock file beside the registry, so two commands run at once cannot lose each other's change, and
 * the new file replaces the old one atomically, so a running daemon (live-registry.ts) never reads
 * half of it. A lock left by a process that died is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { readRegistryFile, writeRegistryFile, type RegistryFile } from './registry.ts';

export const REGISTRY_LOCK_TIMEOUT_MS = 5_000;
const LOCK_POLL_MS = 20;

const pause = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or returns the pid that holds it. */
function tryLock(lockPath: string): number | null {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let holder: number;
  try {
    holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
  } catch {
    // Released between our open and this read: try again.
    return tryLock(lockPath);
  }
  if (!Number.isInteger(holder) || holder <= 0 || !processAlive(holder)) {
    // A lock without a live owner (the writer died, or the file is garbage): take it over.
    try {
      unlinkSync(lockPath);
    } catch {
      // Someone else took it over first; the next try tells.
    }
    return tryLock(lockPath);
  }
  return holder;
}

/**
 * Runs `change` on the current registry under the lock, then writes the registry (atomically). A
 * `change` that throws writes nothing. Takes over a lock whose owner is dead (two commands taking
 * over the same dead lock at the same instant could both proceed: rare enough for a CLI edit).
 */
export function updateRegistry<T>(path: string, change: (reg: RegistryFile) => T, timeoutMs = REGISTRY_LOCK_TIMEOUT_MS): T {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holder = tryLock(lockPath);
    if (holder === null) break;
    if (Date.now() >= deadline) {
      throw new MeshError(MeshErrorCode.StoreBusy, `the registry is being changed by another mesh command (pid ${holder}); try again`, {
        details: { lock: lockPath, pid: holder },
      });
    }
    sleepSync(LOCK_POLL_MS);
  }
  try {
    const reg = readRegistryFile(path);
    const result = change(reg);
    writeRegistryFile(path, reg);
    return result;
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/**
 * One `mesh serve` per home: two daemons on one database would both run the outbox and hand-off
 * workers and fight over one port setting. The daemon holds data/serve.lock while it runs (released
 * by the kernel when it exits, however it exits).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { tryHoldLock, type HeldLock } from '../store/sqlite/process-lock.ts';
import type { HomeLayout } from './home.ts';

export const SERVE_LOCK_FILE = 'serve.lock';

export function serveLockPath(layout: HomeLayout): string {
  return join(layout.dataDir, SERVE_LOCK_FILE);
}

/** Takes the home's daemon lock, or throws ALREADY_RUNNING naming the running daemon's pid. */
export function acquireServeLock(layout: HomeLayout, pid: number, now: number): HeldLock {
  mkdirSync(layout.dataDir, { recursive: true, mode: 0o700 });
  const attempt = tryHoldLock(serveLockPath(layout), { pid, startedAt: now });
  if ('held' in attempt) return attempt.held;
  const who = attempt.heldBy === null
    ? 'another process'
    : `pid ${attempt.heldBy.pid}, started ${new Date(attempt.heldBy.startedAt).toISOString()}`;
  const stop = attempt.heldBy === null ? 'stop it first' : `stop it first (kill ${attempt.heldBy.pid})`;
  throw new MeshError(
    MeshErrorCode.AlreadyRunning,
    `mesh serve is already running for ${layout.home} (${who}): ${stop}, or give this one another --home`,
    { details: { pid: attempt.heldBy?.pid ?? null } },
  );
}

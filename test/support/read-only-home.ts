/**
 * Runs `mesh` on a home it cannot write, honestly: tests often run as root, which ignores file modes,
 * so as root the home is bind-mounted read-only in a private mount namespace (`unshare -m`: nothing
 * outside that one process sees the mount, and it vanishes with it); as any other user the home's
 * files and folders lose their write bits for the run. Where neither can be done, `unavailable` says
 * why, for the test to skip with.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, MESH_BIN, REPO_ROOT, runMesh, type CliResult } from './mesh-process.ts';
import { killTree, spawnGroup } from './process-group.ts';
import { CHILD_PROCESS_TIMEOUT_MS, CLI_RUN_TIMEOUT_MS } from './timeouts.ts';

const MOUNT_RO = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Null when read-only runs work here, else the reason they do not. */
export function readOnlyRunsUnavailable(): string | null {
  if (!isRoot()) return null;
  const dir = mkdtempSync(join(tmpdir(), 'mesh-ro-probe-'));
  try {
    const r = spawnSync('unshare', ['-m', 'sh', '-c', MOUNT_RO, 'sh', dir, 'sh', '-c', '! touch "$0/probe" 2>/dev/null', dir], { encoding: 'utf8', timeout: CHILD_PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' });
    if (r.error) return `running as root and \`unshare\` is not usable (${r.error.message}): cannot make a folder read-only for root`;
    return r.status === 0 ? null : `running as root without the right to mount (unshare -m / mount --bind failed: ${r.stderr.trim() || `exit ${String(r.status)}`}): cannot make a folder read-only for root`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function setWritable(path: string, writable: boolean): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    if (writable) chmodSync(path, st.mode | 0o200);
    for (const name of readdirSync(path)) setWritable(join(path, name), writable);
    if (!writable) chmodSync(path, st.mode & ~0o222);
  } else {
    chmodSync(path, writable ? st.mode | 0o200 : st.mode & ~0o222);
  }
}

/** `mesh <args>` with `home` read-only for the whole run. */
export async function runMeshOnReadOnlyHome(home: string, args: readonly string[], timeoutMs = CLI_RUN_TIMEOUT_MS): Promise<CliResult> {
  if (!isRoot()) {
    setWritable(home, false);
    try {
      return await runMesh(args, { timeoutMs });
    } finally {
      setWritable(home, true);
    }
  }
  const started = performance.now();
  const { child, pgid } = spawnGroup('unshare', ['-m', 'sh', '-c', MOUNT_RO, 'sh', home, process.execPath, MESH_BIN, ...args], {
    cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  const timer = setTimeout(() => killTree(pgid), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        args, code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

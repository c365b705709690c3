/**
 * A real `mesh serve` on a really full disk: beta's data folder is a small tmpfs, filled up while the
 * daemon runs, so storing a message fails with ENOSPC in SQLite (SQLITE_FULL). The receiver answers
 * 507 `storage_full`, its log says "disk full" with the database path, alpha's `mesh send` keeps the
 * message queued (a 5xx is transient), and once there is room again the retry delivers it.
 *
 * Mounting a tmpfs needs root (CAP_SYS_ADMIN); elsewhere this test is skipped and the same path is
 * covered, without the OS, by test/receiver-storage-full.test.ts (SQLite's max_page_count).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MeshCluster } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { CHILD_PROCESS_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const TMPFS_SIZE = '4m';

function tryMount(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, 'tmpfs', dir], { stdio: 'ignore', timeout: CHILD_PROCESS_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore', timeout: CHILD_PROCESS_TIMEOUT_MS });
  } catch {
    // Still busy (a process we lost track of): detach it now, it goes when the last file closes.
    execFileSync('umount', ['-l', dir], { stdio: 'ignore', timeout: CHILD_PROCESS_TIMEOUT_MS });
  }
}

/** Writes zeros into `file` until the file system refuses (ENOSPC); bounded by the tmpfs size. */
function fillUp(file: string): number {
  const chunk = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (let i = 0; i < 1_000; i++) written += writeSync(fd, chunk);
    throw new Error(`wrote ${written} bytes into a ${TMPFS_SIZE} tmpfs without ENOSPC`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return written;
}

test('mesh serve on a full disk answers 507 storage_full, logs "disk full" with the database path, and the sender retries', { timeout: SUITE_TIMEOUT_MS }, async (t) => {
  const probe = mkdtempSync(join(tmpdir(), 'mesh-tmpfs-probe-'));
  const canMount = tryMount(probe);
  if (canMount) unmount(probe);
  rmSync(probe, { recursive: true, force: true });
  if (!canMount) {
    t.skip('mounting a tmpfs needs root');
    return;
  }

  const cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
  const alpha = cluster.node('alpha');
  const beta = cluster.node('beta');
  const dataDir = join(beta.home, 'data');
  let mounted = false;
  try {
    // Move beta's data folder onto the tmpfs.
    const saved = join(cluster.root, 'beta-data');
    mkdirSync(dataDir, { recursive: true });
    cpSync(dataDir, saved, { recursive: true });
    assert.ok(tryMount(dataDir), 'mount the tmpfs on beta/data');
    mounted = true;
    for (const name of readdirSync(saved)) cpSync(join(saved, name), join(dataDir, name), { recursive: true });

    const daemon = await beta.serve();
    const filler = join(dataDir, 'filler');
    fillUp(filler);

    const body = 'x'.repeat(100_000);
    const sent = await alpha.meshJson<{ results: { id: string; status: string; httpStatus?: number; error?: string }[] }>(
      ['send', 'beta', 'notification', body], 10);
    const [r] = sent.results;
    assert.deepEqual([r?.status, r?.httpStatus, r?.error], ['queued', 507, 'http_507:storage_full'], JSON.stringify(sent));

    const logLines = daemon.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const diskFull = logLines.filter((l) => l['level'] === 'error' && /disk full/.test(String(l['msg'])));
    assert.ok(diskFull.length > 0, `no "disk full" line in beta's log:\n${daemon.stderr}`);
    assert.ok(diskFull.every((l) => l['path'] === beta.databaseFile), JSON.stringify(diskFull));
    assert.ok(daemon.running, 'the daemon survives a full disk');

    // Room again: alpha's retry (forced now instead of waiting for the back-off) is delivered.
    rmSync(filler);
    const drained = await alpha.mesh(['queue', 'drain', 'beta', '--force']);
    assert.equal(drained.code, 0, describeRun(drained));
    const inbox = await beta.inbox();
    assert.deepEqual(inbox.map((m) => [m.id, m.body.length]), [[r?.id, body.length]]);
  } finally {
    if (beta.daemon?.running) await beta.daemon.stop();
    if (mounted) unmount(dataDir);
    await cluster.close();
  }
});

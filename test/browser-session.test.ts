/**
 * The browser the dashboard tests drive (test/support/browser.ts) is chromium in a process group of
 * its own, started through process-group.ts: closing a session leaves none of its processes behind,
 * and neither does a test file whose test times out with the browser open.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { BrowserSession, browserMissing } from './support/browser.ts';
import { waitFor } from './support/mesh-cluster.ts';
import { processTree, runToEnd, TEST_FILE_ENV, TEST_RUN_ENV } from './support/process-group.ts';
import { allProcs, processesWithEnv } from './support/proc-table.ts';
import { CHILD_PROCESS_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/browser/test-times-out.fixture.ts', import.meta.url));

async function allGone(pids: readonly number[]): Promise<void> {
  await waitFor('every chromium process to be gone', CHILD_PROCESS_TIMEOUT_MS, () => {
    const alive = new Set(allProcs().map((p) => p.pid));
    return pids.some((pid) => alive.has(pid)) ? undefined : true;
  });
}

describe('chromium for the browser tests', { skip: browserMissing() ?? false, timeout: SUITE_TIMEOUT_MS }, () => {
  test('runs as a process group of its own, and close() leaves none of its processes', async () => {
    const session = await BrowserSession.open('http://127.0.0.1:9');
    await session.page();
    const tree = processTree(session.pgid);
    assert.ok(tree.length >= 2, `chromium and its helpers: ${tree.map((p) => p.pid).join(' ')}`);
    assert.ok(tree.every((p) => p.pgid === session.pgid || tree.some((q) => q.pid === p.ppid)), 'all in its group or descended from it');
    await session.close();
    await allGone(tree.map((p) => p.pid));
    assert.deepEqual(processTree(session.pgid), []);
  });

  test('a test that times out with the browser open: the file ends and no chromium process is left', async () => {
    const token = `browser-probe-${randomUUID()}`;
    const env: NodeJS.ProcessEnv = { ...process.env, LEAK_TOKEN: token, [TEST_FILE_ENV]: '', [TEST_RUN_ENV]: '' };
    delete env['NODE_TEST_CONTEXT'];
    const r = await runToEnd(process.execPath, ['--test', '--test-reporter=spec', FIXTURE], { env, timeoutMs: CHILD_PROCESS_TIMEOUT_MS * 2 });
    const out = r.stdout + r.stderr;
    assert.equal(r.timedOut, false, `the test file never ended: ${out}`);
    assert.equal(r.code, 1, out);
    assert.match(out, /timed out after 200ms/);
    const line = r.stdout.split('\n').map((l) => l.replace(/^\s*#?\s*/, '')).find((l) => l.startsWith('{"pgid"'));
    assert.ok(line !== undefined, `the fixture printed its processes: ${out}`);
    const seen = JSON.parse(line) as { pgid: number; pids: number[] };
    assert.ok(seen.pids.length >= 2, line);
    await allGone(seen.pids);
    assert.deepEqual(processesWithEnv('LEAK_TOKEN', token), []);
  });
});

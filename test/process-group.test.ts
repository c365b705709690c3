/**
 * The suite's own guarantees about processes (test/support/process-group.ts and the final leak check
 * in scripts/run-tests.ts), checked on real processes: a test file that leaves a child running
 * fails and names it; a before() that times out after starting a daemon still lets the file end, and
 * leaves nothing; SIGTERM to a test process takes its groups and their descendants with it; and a
 * child whose test process was killed -9 is found, named and killed by the final check. The fixtures
 * are in test/fixtures/process-group/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runToEnd, spawnGroup, TEST_FILE_ENV, TEST_RUN_ENV } from './support/process-group.ts';
import { allProcs, commandLine, type ProcInfo } from './support/proc-table.ts';
import { waitFor } from './support/mesh-cluster.ts';
import { CHILD_PROCESS_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/process-group/${name}`, import.meta.url));
const RUN_TESTS = fileURLToPath(new URL('../scripts/run-tests.ts', import.meta.url));
/** Long enough for a child to be seen, short enough to keep these tests quick. */
const GRACE_MS = '500';

/** Environment of a nested test run: not a child of this runner, not part of this run or file. */
function nestedEnv(token: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LEAK_TOKEN: token, MESH_TEST_LEFTOVER_GRACE_MS: GRACE_MS, [TEST_FILE_ENV]: '', [TEST_RUN_ENV]: '' };
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

function carrying(token: string): ProcInfo[] {
  return allProcs().filter((p) => p.pid !== process.pid && commandLine(p.pid).includes(token));
}

/** Waits until no process carries `token` (a SIGKILLed process can take a moment to go). */
async function noneLeft(token: string): Promise<void> {
  await waitFor(`no process carrying ${token}`, CHILD_PROCESS_TIMEOUT_MS, () => (carrying(token).length === 0 ? true : undefined));
}

function nestedTestRun(args: readonly string[], token: string) {
  return runToEnd(process.execPath, ['--test', '--test-reporter=spec', ...args], { env: nestedEnv(token), timeoutMs: CHILD_PROCESS_TIMEOUT_MS });
}

describe('process groups and leak checks of the test suite', { timeout: SUITE_TIMEOUT_MS }, () => {
  test('a test file that leaves a child running fails, naming the child and the file, and the child is killed', async () => {
    const token = `leak-probe-${randomUUID()}`;
    const r = await nestedTestRun([fixture('leaks-a-child.fixture.ts')], token);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 1, out);
    assert.match(out, /1 process\(es\) started by test\/fixtures\/process-group\/leaks-a-child\.fixture\.ts were still running when its tests had finished/);
    assert.match(out, new RegExp(`pid \\d+ \\(from test/fixtures/process-group/leaks-a-child\\.fixture\\.ts\\): .*${token}`));
    await noneLeft(token);
  });

  test('a before() that times out after starting a daemon: the file still ends, names the daemon and kills it', async () => {
    const token = `leak-probe-${randomUUID()}`;
    const r = await nestedTestRun([fixture('before-times-out.fixture.ts')], token);
    const out = r.stdout + r.stderr;
    assert.equal(r.timedOut, false, `the test file never ended: ${out}`);
    assert.equal(r.code, 1, out);
    assert.match(out, /timed out after 200ms/);
    assert.match(out, new RegExp(`pid \\d+ \\(from test/fixtures/process-group/before-times-out\\.fixture\\.ts\\): .*${token}`));
    await noneLeft(token);
  });

  test('SIGTERM to a test process kills its groups and their descendants, also those leading groups of their own', async () => {
    const token = `leak-probe-${randomUUID()}`;
    const g = spawnGroup(process.execPath, [fixture('tree-then-wait.fixture.ts')], { env: nestedEnv(token), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    g.child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    const seen = await waitFor('the fixture\'s process list', CHILD_PROCESS_TIMEOUT_MS, () => {
      if (g.hasExited()) throw new Error(`fixture exited early: ${stdout}`);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      return line === undefined ? undefined : JSON.parse(line) as { pgid: number; pids: number[] };
    });
    assert.ok(seen.pids.length >= 4, `sh, its two children and a grandchild in a group of its own: ${seen.pids.join(' ')}`);
    process.kill(g.child.pid as number, 'SIGTERM');
    const exit = await g.exited;
    assert.deepEqual(exit, { code: 143, signal: null });
    await noneLeft(token);
    await waitFor('every pid of the fixture\'s tree to be gone', CHILD_PROCESS_TIMEOUT_MS, () => {
      const alive = new Set(allProcs().map((p) => p.pid));
      return seen.pids.some((pid) => alive.has(pid)) ? undefined : true;
    });
  });

  test('a child whose test process was killed -9 is named and killed by the run\'s final check, which fails the run', async () => {
    const token = `leak-probe-${randomUUID()}`;
    const r = await runToEnd(process.execPath, [RUN_TESTS, '--test-reporter=spec', fixture('killed-hard.fixture.ts')], {
      env: nestedEnv(token), timeoutMs: CHILD_PROCESS_TIMEOUT_MS,
    });
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 1, out);
    assert.match(r.stderr, /leak check: 1 process\(es\) started by the test run were still running after it had ended \(now killed\)/);
    assert.match(r.stderr, new RegExp(`pid \\d+ \\(from test/fixtures/process-group/killed-hard\\.fixture\\.ts\\): .*${token}`));
    await noneLeft(token);
  });
});

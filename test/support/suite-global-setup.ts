/**
 * Global setup and teardown of the test runner (`node --test --test-global-setup=<this file>`, see
 * package.json). Runs in the runner's own process, once around all test files.
 *
 * Setup gives the run an id (MESH_TEST_RUN) that every test file and everything it spawns inherits,
 * and points them at the suite's module compile cache (compile-cache.ts).
 * Teardown is the suite's leak check: any process still carrying the id once every test file has
 * ended was started by the suite and left running. It is given a grace period to end on its own,
 * then named (pid, test file, command line), killed, and the run fails (exit status 1).
 *
 * Only process-table reading is imported here: process-group.ts would install its exit and signal
 * handlers in the runner itself.
 */
import { randomUUID } from 'node:crypto';
import { withCompileCache } from './compile-cache.ts';
import { describeProcs, leftovers, TEST_RUN_ENV } from './leftovers.ts';
import { isSameProcessAlive, processesWithEnv, type ProcInfo } from './proc-table.ts';
import { LEFTOVER_GRACE_MS } from './timeouts.ts';

let runId = '';
let checked = false;

export function globalSetup(): void {
  runId = randomUUID();
  process.env[TEST_RUN_ENV] = runId;
  process.env['NODE_COMPILE_CACHE'] = withCompileCache(process.env)['NODE_COMPILE_CACHE'];
}

function kill(procs: readonly ProcInfo[]): void {
  for (const p of procs) {
    if (!isSameProcessAlive(p)) continue;
    try {
      if (p.pgid === p.pid) process.kill(-p.pid, 'SIGKILL');
      process.kill(p.pid, 'SIGKILL');
    } catch { /* gone */ }
  }
}

export async function globalTeardown(): Promise<void> {
  // The runner may call teardown more than once; one check is enough.
  if (checked || runId === '') return;
  checked = true;
  const left = await leftovers(() => processesWithEnv(TEST_RUN_ENV, runId), LEFTOVER_GRACE_MS);
  if (left.length === 0) return;
  const text = describeProcs(left);
  kill(left);
  console.error(`\n✖ leak check: ${left.length} process(es) started by the test suite were still running after every test file had ended (now killed):\n${text}\n`);
  process.exitCode = 1;
}

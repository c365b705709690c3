// Runs `node --test <args>` (package.json's test:unit and test:e2e) and then checks that the run
// left no process behind: every process the run starts inherits MESH_TEST_RUN (one id per run) in
// its environment, so whatever still carries it once the test runner has exited was started by the
// suite and leaked. Each is given a grace period to end on its own, then named (pid, test file,
// command line) and killed, and the run fails.
//
// The check is a step after the runner rather than the runner's own global teardown, so that it
// also runs when the runner was interrupted or killed. Children get Node's module compile cache
// (test/support/compile-cache.ts).
//
// Exit status: the runner's, or 1 when something was left running; 128+n when stopped by signal n.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { withCompileCache } from '../test/support/compile-cache.ts';
import { describeProcs, leftovers, TEST_RUN_ENV } from '../test/support/leftovers.ts';
import { isSameProcessAlive, processesWithEnv, type ProcInfo } from '../test/support/proc-table.ts';
import { LEFTOVER_GRACE_MS } from '../test/support/timeouts.ts';

const runId = randomUUID();
const runner = spawn(process.execPath, ['--test', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...withCompileCache(process.env), [TEST_RUN_ENV]: runId },
});

let signalled: NodeJS.Signals | null = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  // A terminal's Ctrl-C reaches the runner too; a signal sent to this process alone is passed on.
  // Either way this process waits for the runner, then still checks for leftovers.
  process.on(sig, () => {
    signalled ??= sig;
    runner.kill(sig);
  });
}

const status = await new Promise<number>((resolve) => {
  runner.once('error', (e) => {
    console.error(`could not start the test runner: ${e.message}`);
    resolve(1);
  });
  runner.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
});

function kill(procs: readonly ProcInfo[]): void {
  for (const p of procs) {
    if (!isSameProcessAlive(p)) continue;
    try {
      if (p.pgid === p.pid) process.kill(-p.pid, 'SIGKILL');
      process.kill(p.pid, 'SIGKILL');
    } catch { /* gone */ }
  }
}

const left = await leftovers(() => processesWithEnv(TEST_RUN_ENV, runId), LEFTOVER_GRACE_MS);
if (left.length > 0) {
  const text = describeProcs(left);
  kill(left);
  console.error(`\n✖ leak check: ${left.length} process(es) started by the test run were still running after it had ended (now killed):\n${text}\n`);
}
if (signalled !== null) process.exit(128 + constants.signals[signalled]);
process.exit(left.length > 0 && status === 0 ? 1 : status);

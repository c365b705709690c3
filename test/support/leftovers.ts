/**
 * Finding and naming the processes a test run left behind. Side-effect free, so that the run's
 * final check (scripts/run-tests.ts) can use it without taking on process-group.ts's exit and
 * signal handlers.
 *
 * Every process the suite starts inherits markers in its environment (see process-group.ts):
 * MESH_TEST_RUN (one id per `npm test`), MESH_TEST_OWNER (the test process that started it) and
 * MESH_TEST_FILE (that process's test file). /proc/<pid>/environ keeps them even after the process
 * is re-parented, which is how an orphaned daemon or handler is still traced to its test file.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandLine, environValue, type ProcInfo } from './proc-table.ts';

/** Set by scripts/run-tests.ts to one id per test run; every process of the run inherits it. */
export const TEST_RUN_ENV = 'MESH_TEST_RUN';
/** `<pid>:<start>` of the test process that spawned (directly or not) the process carrying it. */
export const TEST_OWNER_ENV = 'MESH_TEST_OWNER';
/** The test file (relative to the repository) whose process spawned it. */
export const TEST_FILE_ENV = 'MESH_TEST_FILE';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMMAND_SHOWN_CHARS = 300;

/** One line per process: pid, the test file that started it (when known) and its command line. */
export function describeProcs(procs: readonly ProcInfo[]): string {
  return procs.map((p) => {
    const file = environValue(p.pid, TEST_FILE_ENV);
    const cmd = commandLine(p.pid).split(REPO_ROOT).join('');
    const shown = cmd.length > COMMAND_SHOWN_CHARS ? `${cmd.slice(0, COMMAND_SHOWN_CHARS)}…` : cmd;
    return `  pid ${p.pid}${file ? ` (from ${file})` : ''}: ${shown}`;
  }).join('\n');
}

/** `path` relative to the repository, as test files are named in reports. */
export function repoRelative(path: string): string {
  return relative(REPO_ROOT, path);
}

/**
 * Processes from `find()` still alive after `graceMs` (polled, so it returns as soon as none is
 * left). Processes that end on their own during the grace period are not leftovers.
 */
export async function leftovers(find: () => ProcInfo[], graceMs: number): Promise<ProcInfo[]> {
  const deadline = performance.now() + graceMs;
  for (;;) {
    const left = find();
    if (left.length === 0 || performance.now() >= deadline) return left;
    await sleep(100);
  }
}

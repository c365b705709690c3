/**
 * How long tests wait, one named ceiling per kind of wait. The suite runs on loaded machines (2 cores
 * shared with other jobs; a load average of 4 to 8 is normal), where starting a Node process takes
 * seconds, not milliseconds. Every wait below is a ceiling on a loop or a child process that ends as
 * soon as the awaited thing happens, so a generous ceiling costs nothing when a test passes; it
 * only decides how long a broken test takes to say so. Timing targets belong in bench/, not here.
 *
 * Use these instead of numbers in test files; pick the kind that names what is awaited.
 */

/** Milliseconds from environment variable `name`, or `fallbackMs` when it is unset or empty. */
export function msFromEnv(name: string, fallbackMs: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallbackMs;
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`${name} must be a non-negative integer (milliseconds), got "${text}"`);
  return ms;
}

/** One `mesh` CLI run, process start to exit (including a first delivery attempt it makes). */
export const CLI_RUN_TIMEOUT_MS = 120_000;

/** Any other helper process a test runs to completion (jq, openssl, sh, a node script). */
export const CHILD_PROCESS_TIMEOUT_MS = 120_000;

/** `mesh serve` from spawn to its "listening on" line. */
export const DAEMON_LISTEN_TIMEOUT_MS = 120_000;

/** `mesh serve` from SIGTERM to exit before it is SIGKILLed (a graceful stop drains in-flight work). */
export const DAEMON_STOP_TIMEOUT_MS = 60_000;

/** Clean-up after a test (cluster.close()): SIGTERM, then SIGKILL after this; nothing is asserted. */
export const CLEANUP_STOP_GRACE_MS = 5_000;

/**
 * Something a running daemon does in the background in reaction to a test's action: a message
 * reaching an inbox, a hand-off reaching a handler, a line reaching a log, a retry or a replay
 * happening (with the short retry delays tests configure).
 */
export const BACKGROUND_WORK_TIMEOUT_MS = 90_000;

/** One HTTP request from a test to a local daemon or server (fetch's AbortSignal.timeout). */
export const HTTP_REQUEST_TIMEOUT_MS = 60_000;

/**
 * The value tests give a CLI's own wait (`mesh request --wait <s>`, `mesh send --wait-delivery <s>`),
 * where the test expects the awaited thing to happen (the command returns as soon as it does).
 */
export const CLI_WAIT_SECONDS = 120;

/** The kill timeout around a CLI run that waits CLI_WAIT_SECONDS: that wait plus a CLI run. */
export const CLI_WAIT_RUN_TIMEOUT_MS = CLI_WAIT_SECONDS * 1000 + CLI_RUN_TIMEOUT_MS;

/**
 * `timeout:` of a describe/test that drives real processes: a backstop against a hang, far above
 * what such a block takes on a loaded machine (the waits inside it have their own ceilings).
 */
export const SUITE_TIMEOUT_MS = 900_000;

/**
 * After a test file's tests are done, how long its leftover processes get to end on their own
 * before they count as leaked (process-group.ts; the suite's final check uses it too).
 * MESH_TEST_LEFTOVER_GRACE_MS overrides it (the leak checks' own tests use a short one).
 */
export const LEFTOVER_GRACE_MS = msFromEnv('MESH_TEST_LEFTOVER_GRACE_MS', 10_000);


/** `timeout:` of an e2e describe: its before hook starts real gateways, and each test may take SUITE_TIMEOUT_MS. */
export const E2E_SUITE_TIMEOUT_MS = 3_600_000;

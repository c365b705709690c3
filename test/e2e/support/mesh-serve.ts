/**
 * `mesh serve` for the e2e suites, as a user starts it (the installed `mesh` entry point), in its own
 * process group with its output in a log file; resolved once its /health answers 200. A daemon that
 * exits or does not listen in time is stopped and reported with the end of its log.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { childEnv, MESH_BIN } from '../../support/mesh-process.ts';
import { spawnGroup, stopGroup, type GroupChild } from '../../support/process-group.ts';
import { DAEMON_LISTEN_TIMEOUT_MS, DAEMON_STOP_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS } from '../../support/timeouts.ts';
import { waitUntil } from './wait.ts';

export interface Serve { group: GroupChild; logFile: string }

export async function startServe(
  home: string, port: number, logFile: string, o: { args?: readonly string[]; env?: Record<string, string> } = {},
): Promise<Serve> {
  const out = openSync(logFile, 'a');
  const group = spawnGroup(process.execPath, [MESH_BIN, 'serve', '--home', home, '--port', String(port), ...(o.args ?? []), '--log-level', 'debug'], {
    stdio: ['ignore', out, out], env: { ...childEnv(), ...o.env },
  });
  closeSync(out);
  try {
    await waitUntil(async () => {
      if (group.hasExited()) throw new Error(`mesh serve (${home}) exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    }, { timeoutMs: DAEMON_LISTEN_TIMEOUT_MS, what: `mesh serve on port ${port} (log ${logFile})` });
  } catch (err) {
    await stopGroup(group, 0);
    throw err;
  }
  return { group, logFile };
}

/** SIGTERM to the daemon, SIGKILL of its group and descendants after DAEMON_STOP_TIMEOUT_MS. */
export async function stopServe(s: Serve | undefined): Promise<void> {
  if (s) await stopGroup(s.group, DAEMON_STOP_TIMEOUT_MS);
}

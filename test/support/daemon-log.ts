/**
 * Reading a `mesh serve` daemon's JSON log lines (stderr) in tests. A daemon killed with SIGKILL may
 * leave a last line cut short: lines that do not parse are skipped.
 */

/** The daemon's log entries with message `msg`, in order. */
export function logEntries(stderr: string, msg: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof entry === 'object' && entry !== null && (entry as { msg?: unknown }).msg === msg) found.push(entry as Record<string, unknown>);
  }
  return found;
}

/** Sizes of the hook batches a daemon took (`--log-level debug`: one "hook batch" line per batch POST). */
export function batchSizes(stderr: string): number[] {
  return logEntries(stderr, 'hook batch').map((e) => e['items']).filter((n): n is number => typeof n === 'number');
}

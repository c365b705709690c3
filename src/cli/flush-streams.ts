/**
 * Waiting until output written so far has left the process. On Linux a write to a pipe or socket is
 * attempted at once, but whatever the reader has not yet made room for stays queued inside Node; a
 * `process.exit()` then drops it (a 200 KB `mesh receive - | wc -c` printed 131,072 bytes). Files and
 * TTYs are written synchronously, so for them this resolves on the next tick.
 */
import type { Writable } from 'node:stream';

/**
 * Resolves once every chunk written to `stream` before the call has been handed to the OS, or the
 * stream failed or closed (a reader that went away: nothing more can be delivered). Never rejects.
 * An empty write is queued behind the earlier chunks, so its callback runs after all of them.
 */
export function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded || stream.errored !== null) {
      resolve();
      return;
    }
    stream.write('', () => resolve());
  });
}

import { closeSync, fsyncSync, openSync, renameSync, writeSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

let writes = 0;

/**
 * How many files this process has written with writeFileAtomic: a LiveFile that looked at its file
 * earlier in this turn looks again when the count moved (the process may have just written it).
 */
export function atomicWritesSoFar(): number {
  return writes;
}

/**
 * Writes a file atomically: a temp file in the same folder (so rename is atomic), fsync, rename.
 * `mode` applies from creation, so secrets are never briefly world-readable.
 */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  writes++;
}

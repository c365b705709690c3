/**
 * Reading and writing small secret files safely: private folders (0700), files created 0600 in a
 * temporary name in the same folder, fsynced, then moved into place in one step, so a reader never
 * sees a half-written key and a crash leaves either the old key or the new one. Without `overwrite`
 * the final step is a hard link, which fails atomically if the name exists (no check-then-write race).
 * Errors name the path, never the content.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fchmodSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync,
  rmSync, statSync, chmodSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

export const PRIVATE_DIR_MODE = 0o700;
export const SECRET_FILE_MODE = 0o600;
/** Key files are tiny; anything bigger is not a key and is not read into memory. */
export const MAX_SECRET_FILE_BYTES = 16 * 1024;

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/** Creates `dir` (and missing parents) with mode 0700, and tightens an existing one to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const st = statSync(dir);
  if (!st.isDirectory()) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${dir} is not a directory`, { details: { path: dir } });
  }
  if (process.platform !== 'win32' && (st.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Best effort: makes the rename itself durable. Not every platform can fsync a directory. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // ignored: durability of the directory entry is a bonus, not a guarantee we can give everywhere
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface WriteSecretOptions {
  /** Replace an existing file. Without it an existing file gives MeshError(ALREADY_EXISTS). */
  overwrite: boolean;
  /** File mode, 0600 by default (public keys may use 0644). */
  mode?: number;
}

let secretWrites = 0;

/** How many secret files this process has written (readers that cache per turn look again when it moved). */
export function secretWritesSoFar(): number {
  return secretWrites;
}

/** Atomically writes `content` to `path`. Returns whether an existing file was replaced. */
export function writeSecretFile(path: string, content: string, options: WriteSecretOptions): { replaced: boolean } {
  const mode = options.mode ?? SECRET_FILE_MODE;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      fchmodSync(fd, mode);
      writeFileSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let replaced = false;
    if (options.overwrite) {
      replaced = existsSync(path);
      renameSync(tmp, path);
    } else {
      try {
        linkSync(tmp, path);
      } catch (e) {
        if (errCode(e) === 'EEXIST') {
          throw new MeshError(MeshErrorCode.AlreadyExists, `${path} already exists (use force to replace it)`, {
            details: { path },
          });
        }
        // Filesystems without hard links: fall back to check-then-rename.
        if (existsSync(path)) {
          throw new MeshError(MeshErrorCode.AlreadyExists, `${path} already exists (use force to replace it)`, {
            details: { path },
          });
        }
        renameSync(tmp, path);
      }
    }
    syncDir(dir);
    secretWrites++;
    return { replaced };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The file's text, or null when it does not exist. */
export function readSecretFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    throw new MeshError(MeshErrorCode.KeyInvalid, `cannot read key file ${path} (${errCode(e) ?? 'error'})`, {
      details: { path },
    });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_SECRET_FILE_BYTES) {
      throw new MeshError(MeshErrorCode.KeyInvalid, `key file ${path} is not a small regular file`, { details: { path } });
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Mode bits of `path` (0o777 part), or null when it does not exist. */
export function fileMode(path: string): number | null {
  try {
    return statSync(path).mode & 0o777;
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    throw e;
  }
}

import { MeshError, MeshErrorCode, isMeshError } from '../../protocol/errors.ts';

/** Primary result codes (the low byte of an extended code) we treat as "another process holds the lock". */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
/** "database or disk is full": the disk has no room (ENOSPC), or the connection's max_page_count was reached. */
const SQLITE_FULL = 13;

function sqliteErrcode(e: unknown): number | null {
  if (typeof e !== 'object' || e === null) return null;
  const code = (e as { errcode?: unknown }).errcode;
  return typeof code === 'number' ? code : null;
}

const primaryCode = (e: unknown): number | null => {
  const code = sqliteErrcode(e);
  return code === null ? null : code & 0xff;
};

export function isSqliteBusy(e: unknown): boolean {
  const primary = primaryCode(e);
  return primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
}

export function isSqliteFull(e: unknown): boolean {
  return primaryCode(e) === SQLITE_FULL;
}

/**
 * Maps a lock that survived the busy timeout to STORE_BUSY (callers may retry or report it) and a
 * full disk to STORE_FULL (with the database path, which is what an operator needs to free space);
 * everything else passes through unchanged so programming errors keep their stack and message.
 */
export function translateSqliteError(e: unknown, path?: string): unknown {
  if (isMeshError(e)) return e;
  if (isSqliteBusy(e)) {
    return new MeshError(MeshErrorCode.StoreBusy, 'the MESH database is busy: another process or connection held the lock past the busy timeout', { cause: e });
  }
  if (isSqliteFull(e)) {
    return new MeshError(MeshErrorCode.StoreFull, `disk full: the MESH database${path === undefined ? '' : ` ${path}`} cannot grow`, {
      cause: e,
      details: path === undefined ? {} : { path },
    });
  }
  return e;
}

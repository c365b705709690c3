import { MeshError, MeshErrorCode, isMeshError } from '../../protocol/errors.ts';

/** Primary result codes (the low byte of an extended code) we treat as "another process holds the lock". */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

function sqliteErrcode(e: unknown): number | null {
  if (typeof e !== 'object' || e === null) return null;
  const code = (e as { errcode?: unknown }).errcode;
  return typeof code === 'number' ? code : null;
}

export function isSqliteBusy(e: unknown): boolean {
  const code = sqliteErrcode(e);
  if (code === null) return false;
  const primary = code & 0xff;
  return primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
}

/**
 * Maps a lock that survived the busy timeout to STORE_BUSY (callers may retry or report it);
 * everything else passes through unchanged so programming errors keep their stack and message.
 */
export function translateSqliteError(e: unknown): unknown {
  if (isMeshError(e)) return e;
  if (isSqliteBusy(e)) {
    return new MeshError(MeshErrorCode.StoreBusy, 'the MESH database is busy: another process or connection held the lock past the busy timeout', { cause: e });
  }
  return e;
}

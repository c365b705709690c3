/**
 * A read-only connection for commands that only look (inbox, export, queue status, track, dlq list):
 * it never writes the database, runs no migration, sets up nothing and takes no write lock, so it
 * works on a database the user may read but not write (a read-only mount, a data/ folder without
 * write permission) and never makes a writer wait.
 */
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { readSchemaVersion, refuseNewer, SCHEMA_VERSION } from './migrate.ts';
import { SqliteDb } from './sqlite-db.ts';

/** SQLITE_CANTOPEN: here, the -shm/-wal files next to a WAL database could not be opened or created. */
const SQLITE_CANTOPEN = 14;

function errcode(e: unknown): number | null {
  const code = typeof e === 'object' && e !== null ? (e as { errcode?: unknown }).errcode : undefined;
  return typeof code === 'number' ? code & 0xff : null;
}

/**
 * Opens `path` read-only and checks its schema is the one this code reads. A WAL database needs its
 * -shm file; when that does not exist and cannot be created (read-only folder, nobody has the
 * database open), no writer can be active, and the file is opened as immutable instead (SQLite then
 * takes no locks and reads the file as it stands).
 *
 * Throws SCHEMA_TOO_OLD (the caller may open it for writing to upgrade it), SCHEMA_TOO_NEW, or the
 * SQLite error.
 */
export function openReadOnlyDb(path: string, busyTimeoutMs: number): SqliteDb {
  let db: SqliteDb;
  let version: number;
  try {
    db = new SqliteDb(new DatabaseSync(path, { readOnly: true, timeout: busyTimeoutMs }), path);
    try {
      version = readSchemaVersion(db);
    } catch (e) {
      db.close();
      throw e;
    }
  } catch (e) {
    if (errcode(e) !== SQLITE_CANTOPEN) throw e;
    const url = pathToFileURL(path);
    url.searchParams.set('immutable', '1');
    db = new SqliteDb(new DatabaseSync(url, { readOnly: true }), path);
    version = readSchemaVersion(db);
  }
  if (version === SCHEMA_VERSION) return db;
  db.close();
  if (version > SCHEMA_VERSION) throw refuseNewer(version, path);
  throw new MeshError(
    MeshErrorCode.SchemaTooOld,
    `the database ${path} has schema version ${version}, older than this MESH's ${SCHEMA_VERSION}, and a read-only open does not upgrade it`,
    { details: { found: version, supported: SCHEMA_VERSION } },
  );
}

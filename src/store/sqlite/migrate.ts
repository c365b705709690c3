import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { migration0001Init } from './migrations/0001-init.ts';
import { migration0002SealedAttachments } from './migrations/0002-sealed-attachments.ts';
import { migration0003Conversations } from './migrations/0003-conversations.ts';
import { migration0004Incidents } from './migrations/0004-incidents.ts';
import { migration0005Fleet } from './migrations/0005-fleet.ts';
import { migration0006A2aTasks } from './migrations/0006-a2a-tasks.ts';
import { migration0007OutboxDueIndex } from './migrations/0007-outbox-due-index.ts';
import type { SqliteDb } from './sqlite-db.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Append-only. Version N is the N-th entry; `PRAGMA user_version` records the last one applied. */
export const migrations: readonly Migration[] = [
  { version: 1, name: 'init', sql: migration0001Init },
  { version: 2, name: 'sealed-attachments', sql: migration0002SealedAttachments },
  { version: 3, name: 'conversations', sql: migration0003Conversations },
  { version: 4, name: 'incidents', sql: migration0004Incidents },
  { version: 5, name: 'fleet', sql: migration0005Fleet },
  { version: 6, name: 'a2a-tasks', sql: migration0006A2aTasks },
  { version: 7, name: 'outbox-due-index', sql: migration0007OutboxDueIndex },
];

export const SCHEMA_VERSION = migrations.length;

for (const [i, m] of migrations.entries()) {
  if (m.version !== i + 1) throw new Error(`migration list out of order at ${m.name}`);
}

export function readSchemaVersion(db: SqliteDb): number {
  const row = db.get<{ user_version: number }>('PRAGMA user_version');
  return row?.user_version ?? 0;
}

export function refuseNewer(version: number, path: string): MeshError {
  return new MeshError(
    MeshErrorCode.SchemaTooNew,
    `the database ${path} has schema version ${version}, but this MESH only knows up to ${SCHEMA_VERSION}: upgrade MESH (downgrading would corrupt the data)`,
    { details: { found: version, supported: SCHEMA_VERSION } },
  );
}

/**
 * Brings the schema up to SCHEMA_VERSION. The version is re-read after BEGIN IMMEDIATE, so when
 * several processes open a fresh database at once, exactly one applies each migration and the
 * others find the work done. Returns the versions before and after.
 */
export function migrate(db: SqliteDb, path: string): { from: number; to: number } {
  const seen = db.read(() => readSchemaVersion(db));
  if (seen > SCHEMA_VERSION) throw refuseNewer(seen, path);
  if (seen === SCHEMA_VERSION) return { from: seen, to: seen };
  return db.transaction(() => {
    const current = readSchemaVersion(db);
    if (current > SCHEMA_VERSION) throw refuseNewer(current, path);
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.raw.exec(m.sql);
      // PRAGMA takes no parameters; the version is a trusted integer from the list above.
      db.raw.exec(`PRAGMA user_version = ${m.version}`);
    }
    return { from: current, to: SCHEMA_VERSION };
  });
}

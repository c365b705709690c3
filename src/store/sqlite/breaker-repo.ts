import type { BreakerRecord, BreakerRepo, BreakerState } from '../../ports/store.ts';
import type { SqliteDb } from './sqlite-db.ts';

interface BreakerRow {
  peer: string;
  state: BreakerState;
  consecutive_failures: number;
  opened_at: number | null;
  open_until: number | null;
  probe_until: number | null;
  last_failure_at: number | null;
  last_success_at: number | null;
  updated_at: number;
}

function toRecord(r: BreakerRow): BreakerRecord {
  return {
    peer: r.peer, state: r.state, consecutiveFailures: r.consecutive_failures, openedAt: r.opened_at,
    openUntil: r.open_until, probeUntil: r.probe_until, lastFailureAt: r.last_failure_at,
    lastSuccessAt: r.last_success_at, updatedAt: r.updated_at,
  };
}

export class SqliteBreakerRepo implements BreakerRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  get(peer: string): BreakerRecord | null {
    const row = this.#db.read(() => this.#db.get<BreakerRow>('SELECT * FROM breakers WHERE peer = ?', peer));
    return row === null ? null : toRecord(row);
  }

  put(b: BreakerRecord): void {
    const db = this.#db;
    db.write(
      `INSERT INTO breakers (peer, state, consecutive_failures, opened_at, open_until, probe_until, last_failure_at,
         last_success_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures,
         opened_at = excluded.opened_at, open_until = excluded.open_until, probe_until = excluded.probe_until,
         last_failure_at = excluded.last_failure_at, last_success_at = excluded.last_success_at,
         updated_at = excluded.updated_at`,
      b.peer, b.state, b.consecutiveFailures, b.openedAt, b.openUntil, b.probeUntil, b.lastFailureAt,
      b.lastSuccessAt, b.updatedAt);
  }

  list(): BreakerRecord[] {
    return this.#db.read(() => this.#db.all<BreakerRow>('SELECT * FROM breakers ORDER BY peer')).map(toRecord);
  }
}

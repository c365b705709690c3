import type { PeerHealth, PeerHealthRepo } from '../../ports/store.ts';
import type { SqliteDb } from './sqlite-db.ts';

interface PeerHealthRow {
  peer: string;
  reachable: number;
  last_probe_at: number;
  latency_ms: number | null;
  http_status: number | null;
  consecutive_failures: number;
  last_ok_at: number | null;
  detail: string | null;
}

function toHealth(r: PeerHealthRow): PeerHealth {
  return {
    peer: r.peer, reachable: r.reachable !== 0, lastProbeAt: r.last_probe_at, latencyMs: r.latency_ms,
    httpStatus: r.http_status, consecutiveFailures: r.consecutive_failures, lastOkAt: r.last_ok_at, detail: r.detail,
  };
}

export class SqlitePeerHealthRepo implements PeerHealthRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  put(h: PeerHealth): void {
    const db = this.#db;
    db.transaction(() => db.run(
      `INSERT INTO peer_health (peer, reachable, last_probe_at, latency_ms, http_status, consecutive_failures, last_ok_at, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET reachable = excluded.reachable, last_probe_at = excluded.last_probe_at,
         latency_ms = excluded.latency_ms, http_status = excluded.http_status,
         consecutive_failures = excluded.consecutive_failures, last_ok_at = excluded.last_ok_at, detail = excluded.detail`,
      h.peer, h.reachable ? 1 : 0, h.lastProbeAt, h.latencyMs, h.httpStatus, h.consecutiveFailures, h.lastOkAt, h.detail));
  }

  get(peer: string): PeerHealth | null {
    const row = this.#db.read(() => this.#db.get<PeerHealthRow>('SELECT * FROM peer_health WHERE peer = ?', peer));
    return row === null ? null : toHealth(row);
  }

  list(): PeerHealth[] {
    return this.#db.read(() => this.#db.all<PeerHealthRow>('SELECT * FROM peer_health ORDER BY peer')).map(toHealth);
  }
}

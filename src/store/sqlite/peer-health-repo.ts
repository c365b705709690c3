import type { PeerHealth, PeerHealthRepo } from '../../ports/store.ts';
import { parseStringArray } from './json-columns.ts';
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
  latency_samples: string;
  features: string | null;
}

/** Latency samples are numbers we wrote; anything else in the column is dropped rather than trusted. */
function parseSamples(text: string): number[] {
  const v: unknown = JSON.parse(text);
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
}

function toHealth(r: PeerHealthRow): PeerHealth {
  return {
    peer: r.peer, reachable: r.reachable !== 0, lastProbeAt: r.last_probe_at, latencyMs: r.latency_ms,
    httpStatus: r.http_status, consecutiveFailures: r.consecutive_failures, lastOkAt: r.last_ok_at, detail: r.detail,
    samples: parseSamples(r.latency_samples), features: r.features === null ? null : parseStringArray(r.features),
  };
}

export class SqlitePeerHealthRepo implements PeerHealthRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  put(h: PeerHealth): void {
    const db = this.#db;
    db.write(
      `INSERT INTO peer_health (peer, reachable, last_probe_at, latency_ms, http_status, consecutive_failures, last_ok_at, detail,
         latency_samples, features)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET reachable = excluded.reachable, last_probe_at = excluded.last_probe_at,
         latency_ms = excluded.latency_ms, http_status = excluded.http_status,
         consecutive_failures = excluded.consecutive_failures, last_ok_at = excluded.last_ok_at, detail = excluded.detail,
         latency_samples = excluded.latency_samples, features = excluded.features`,
      h.peer, h.reachable ? 1 : 0, h.lastProbeAt, h.latencyMs, h.httpStatus, h.consecutiveFailures, h.lastOkAt, h.detail,
      JSON.stringify(h.samples), h.features === null ? null : JSON.stringify(h.features));
  }

  get(peer: string): PeerHealth | null {
    const row = this.#db.read(() => this.#db.get<PeerHealthRow>('SELECT * FROM peer_health WHERE peer = ?', peer));
    return row === null ? null : toHealth(row);
  }

  list(): PeerHealth[] {
    return this.#db.read(() => this.#db.all<PeerHealthRow>('SELECT * FROM peer_health ORDER BY peer')).map(toHealth);
  }
}

import type { JsonValue } from '../../protocol/json.ts';
import type {
  BreakerRecord, BreakerRepo, IncidentRecord, IncidentRepo, KeyValueRepo, PeerHealth, PeerHealthRepo,
} from '../../ports/store.ts';
import { jsonRoundTrip, take } from './memory-journal.ts';
import type { MemTable } from './memory-journal.ts';

const byKey = <T>(key: (v: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export class MemoryBreakerRepo implements BreakerRepo {
  readonly #rows: MemTable<BreakerRecord>;

  constructor(rows: MemTable<BreakerRecord>) {
    this.#rows = rows;
  }

  get(peer: string): BreakerRecord | null {
    const b = this.#rows.get(peer);
    return b === undefined ? null : { ...b };
  }

  put(record: BreakerRecord): void {
    this.#rows.set(record.peer, { ...record });
  }

  list(): BreakerRecord[] {
    return this.#rows.values().sort(byKey((b) => b.peer)).map((b) => ({ ...b }));
  }
}

/** Arrays are copied too: what a caller holds must not change what is stored. */
const copyHealth = (h: PeerHealth): PeerHealth => ({ ...h, samples: [...h.samples], features: h.features === null ? null : [...h.features] });

export class MemoryPeerHealthRepo implements PeerHealthRepo {
  readonly #rows: MemTable<PeerHealth>;

  constructor(rows: MemTable<PeerHealth>) {
    this.#rows = rows;
  }

  put(h: PeerHealth): void {
    this.#rows.set(h.peer, copyHealth(h));
  }

  get(peer: string): PeerHealth | null {
    const h = this.#rows.get(peer);
    return h === undefined ? null : copyHealth(h);
  }

  list(): PeerHealth[] {
    return this.#rows.values().sort(byKey((h) => h.peer)).map(copyHealth);
  }
}

export class MemoryKeyValueRepo implements KeyValueRepo {
  readonly #rows: MemTable<JsonValue>;

  constructor(rows: MemTable<JsonValue>) {
    this.#rows = rows;
  }

  get(key: string): JsonValue | null {
    const v = this.#rows.get(key);
    return v === undefined ? null : jsonRoundTrip(v);
  }

  set(key: string, value: JsonValue, _now: number): void {
    this.#rows.set(key, jsonRoundTrip(value));
  }

  delete(key: string): boolean {
    return this.#rows.delete(key);
  }
}

const copyIncident = (i: IncidentRecord): IncidentRecord => ({ ...i, affectedHosts: [...i.affectedHosts] });

export class MemoryIncidentRepo implements IncidentRepo {
  readonly #rows: MemTable<IncidentRecord>;

  constructor(rows: MemTable<IncidentRecord>) {
    this.#rows = rows;
  }

  put(i: IncidentRecord): void {
    this.#rows.set(i.id, copyIncident(i));
  }

  get(id: string): IncidentRecord | null {
    const i = this.#rows.get(id);
    return i === undefined ? null : copyIncident(i);
  }

  findActive(dedupKey: string): IncidentRecord | null {
    let best: IncidentRecord | null = null;
    // Latest lastSeen wins; on a tie the later-inserted row, as in the SQL (rowid DESC).
    for (const i of this.#rows.values()) {
      if (i.status === 'active' && i.dedupKey === dedupKey && (best === null || i.lastSeen >= best.lastSeen)) best = i;
    }
    return best === null ? null : copyIncident(best);
  }

  list(filter: { status?: IncidentRecord['status']; limit?: number } = {}): IncidentRecord[] {
    const rows = this.#rows.values()
      .filter((i) => filter.status === undefined || i.status === filter.status)
      .sort((a, b) => a.firstSeen - b.firstSeen);
    return take(rows, filter.limit).map(copyIncident);
  }

  pruneResolved(before: number): number {
    const doomed = this.#rows.values().filter((i) => i.status === 'resolved' && i.resolvedAt !== null && i.resolvedAt < before);
    for (const i of doomed) this.#rows.delete(i.id);
    return doomed.length;
  }
}

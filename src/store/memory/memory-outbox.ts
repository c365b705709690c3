import type {
  DeadLetter, DeadLetterRepo, NewOutboxMessage, OutboxMessage, OutboxRepo, PeerDue,
} from '../../ports/store.ts';
import { countBy, take } from './memory-journal.ts';
import type { MemTable } from './memory-journal.ts';

const byDue = (a: OutboxMessage, b: OutboxMessage): number =>
  a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt;
const byCreated = (a: OutboxMessage, b: OutboxMessage): number => a.createdAt - b.createdAt;
const byFailed = (a: DeadLetter, b: DeadLetter): number => a.failedAt - b.failedAt;

export class MemoryOutboxRepo implements OutboxRepo {
  readonly #rows: MemTable<OutboxMessage>;

  constructor(rows: MemTable<OutboxMessage>) {
    this.#rows = rows;
  }

  #pending(): OutboxMessage[] {
    return this.#rows.values().filter((m) => m.state === 'pending');
  }

  #update(id: string, change: (m: OutboxMessage) => Partial<OutboxMessage>): void {
    const m = this.#rows.get(id);
    if (m !== undefined && m.state === 'pending') this.#rows.set(id, { ...m, ...change(m) });
  }

  enqueue(m: NewOutboxMessage): boolean {
    if (this.#rows.has(m.id)) return false;
    this.#rows.set(m.id, {
      id: m.id, peer: m.peer, type: m.type, envelope: m.envelope, sessionKey: m.sessionKey, createdAt: m.createdAt,
      expiresAt: m.expiresAt, nextAttemptAt: m.nextAttemptAt,
      state: 'pending', attempts: 0, lastError: null, leaseUntil: 0, deliveredAt: null,
    });
    return true;
  }

  get(id: string): OutboxMessage | null {
    const m = this.#rows.get(id);
    return m === undefined ? null : { ...m };
  }

  claimDue(now: number, limit: number, leaseMs: number, peer?: string): OutboxMessage[] {
    const due = this.#pending()
      .filter((m) => m.nextAttemptAt <= now && m.expiresAt > now && m.leaseUntil <= now && (peer === undefined || m.peer === peer))
      .sort(byDue);
    return take(due, limit).map((m) => {
      const leased = { ...m, leaseUntil: now + leaseMs };
      this.#rows.set(m.id, leased);
      return { ...leased };
    });
  }

  claim(id: string, now: number, leaseMs: number): OutboxMessage | null {
    const m = this.#rows.get(id);
    if (m === undefined || m.state !== 'pending' || m.leaseUntil > now || m.expiresAt <= now) return null;
    const leased = { ...m, leaseUntil: now + leaseMs };
    this.#rows.set(id, leased);
    return { ...leased };
  }

  markDelivered(id: string, now: number): void {
    this.#update(id, () => ({ state: 'delivered', deliveredAt: now, leaseUntil: 0 }));
  }

  recordFailure(id: string, error: string, nextAttemptAt: number): void {
    this.#update(id, (m) => ({ attempts: m.attempts + 1, lastError: error, nextAttemptAt, leaseUntil: 0 }));
  }

  release(id: string, nextAttemptAt: number): void {
    this.#update(id, () => ({ nextAttemptAt, leaseUntil: 0 }));
  }

  listPending(peer?: string, limit?: number): OutboxMessage[] {
    const rows = this.#pending().filter((m) => peer === undefined || m.peer === peer).sort(byCreated);
    return take(rows, limit).map((m) => ({ ...m }));
  }

  pendingCounts(): Record<string, number> {
    return countBy(this.#pending(), (m) => m.peer);
  }

  duePerPeer(): PeerDue[] {
    const due = new Map<string, number>();
    for (const m of this.#pending()) due.set(m.peer, Math.min(due.get(m.peer) ?? Infinity, m.nextAttemptAt));
    return [...due].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([peer, nextDueAt]) => ({ peer, nextDueAt }));
  }

  purgePending(peer?: string): number {
    const doomed = this.#pending().filter((m) => peer === undefined || m.peer === peer);
    for (const m of doomed) this.#rows.delete(m.id);
    return doomed.length;
  }

  withdraw(id: string, now: number): OutboxMessage | null {
    const m = this.#rows.get(id);
    if (m === undefined || m.state !== 'pending' || m.leaseUntil > now) return null;
    this.#rows.delete(id);
    return { ...m };
  }

  purgeExpired(now: number, ownLeaseId?: string): OutboxMessage[] {
    const doomed = this.#pending().filter((m) => m.expiresAt <= now && (m.leaseUntil <= now || m.id === ownLeaseId)).sort((a, b) => a.expiresAt - b.expiresAt || byCreated(a, b));
    for (const m of doomed) this.#rows.delete(m.id);
    return doomed.map((m) => ({ ...m }));
  }

  pruneDelivered(before: number): number {
    const doomed = this.#rows.values().filter((m) => m.state === 'delivered' && (m.deliveredAt ?? 0) < before);
    for (const m of doomed) this.#rows.delete(m.id);
    return doomed.length;
  }
}

export class MemoryDeadLetterRepo implements DeadLetterRepo {
  readonly #outbox: MemTable<OutboxMessage>;
  readonly #rows: MemTable<DeadLetter>;

  constructor(outbox: MemTable<OutboxMessage>, rows: MemTable<DeadLetter>) {
    this.#outbox = outbox;
    this.#rows = rows;
  }

  moveFromOutbox(id: string, reason: string, now: number): boolean {
    const m = this.#outbox.get(id);
    if (m === undefined || m.state !== 'pending') return false;
    this.put({
      id: m.id, peer: m.peer, type: m.type, envelope: m.envelope, sessionKey: m.sessionKey, reason,
      attempts: m.attempts, lastError: m.lastError, createdAt: m.createdAt, expiresAt: m.expiresAt, failedAt: now,
    });
    this.#outbox.delete(id);
    return true;
  }

  put(l: DeadLetter): void {
    this.#rows.set(l.id, { ...l });
  }

  get(id: string): DeadLetter | null {
    const l = this.#rows.get(id);
    return l === undefined ? null : { ...l };
  }

  list(filter: { peer?: string; limit?: number } = {}): DeadLetter[] {
    const rows = this.#rows.values().filter((l) => filter.peer === undefined || l.peer === filter.peer).sort(byFailed);
    return take(rows, filter.limit).map((l) => ({ ...l }));
  }

  counts(): Record<string, number> {
    return countBy(this.#rows.values(), (l) => l.peer);
  }

  requeue(id: string, now: number): boolean {
    const l = this.#rows.get(id);
    if (l === undefined) return false;
    this.#outbox.delete(id);
    this.#outbox.set(id, {
      id: l.id, peer: l.peer, type: l.type, envelope: l.envelope, sessionKey: l.sessionKey, createdAt: l.createdAt,
      expiresAt: l.expiresAt, nextAttemptAt: now, state: 'pending', attempts: 0, lastError: null, leaseUntil: 0,
      deliveredAt: null,
    });
    this.#rows.delete(id);
    return true;
  }

  remove(id: string): boolean {
    return this.#rows.delete(id);
  }

  purge(peer?: string): number {
    const doomed = this.#rows.values().filter((l) => peer === undefined || l.peer === peer);
    for (const l of doomed) this.#rows.delete(l.id);
    return doomed.length;
  }

  purgeExpired(now: number): DeadLetter[] {
    const doomed = this.#rows.values().filter((l) => l.expiresAt <= now).sort((a, b) => a.expiresAt - b.expiresAt || byFailed(a, b));
    for (const l of doomed) this.#rows.delete(l.id);
    return doomed.map((l) => ({ ...l }));
  }
}

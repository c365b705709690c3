import type { AlertDecision } from '../../protocol/alerts.ts';
import type {
  AuditEntry, AuditFilter, AuditRepo, AuditTally, InboxFilter, InboxMessage, InboxRepo, NewInboxMessage, NonceRepo,
} from '../../ports/store.ts';
import { take } from './memory-journal.ts';
import type { MemCounter, MemTable } from './memory-journal.ts';

const byReceived = (a: InboxMessage, b: InboxMessage): number => a.receivedAt - b.receivedAt;

export class MemoryInboxRepo implements InboxRepo {
  readonly #rows: MemTable<InboxMessage>;

  constructor(rows: MemTable<InboxMessage>) {
    this.#rows = rows;
  }

  insert(m: NewInboxMessage): { inserted: true } | { inserted: false; existingId: string } {
    if (this.#rows.has(m.id)) return { inserted: false, existingId: m.id };
    if (m.idempotencyKey !== null) {
      const dup = this.#rows.values().find((x) => x.from === m.from && x.idempotencyKey === m.idempotencyKey);
      if (dup !== undefined) return { inserted: false, existingId: dup.id };
    }
    this.#rows.set(m.id, {
      id: m.id, from: m.from, to: m.to, type: m.type, correlationId: m.correlationId, conversationId: m.conversationId,
      idempotencyKey: m.idempotencyKey, subject: m.subject, envelope: m.envelope, body: m.body,
      sealedAttachments: m.sealedAttachments ?? null, auth: m.auth,
      receivedAt: m.receivedAt, readAt: null, deliveryState: m.deliveryState, deliveryAttempts: 0, deliveryError: null,
      nextDeliveryAt: m.nextDeliveryAt, leaseUntil: 0, alertDecision: null, incidentId: null,
    });
    return { inserted: true };
  }

  get(id: string): InboxMessage | null {
    const m = this.#rows.get(id);
    return m === undefined ? null : { ...m };
  }

  findByCorrelation(correlationId: string): InboxMessage[] {
    return this.#rows.values().filter((m) => m.correlationId === correlationId).sort(byReceived).map((m) => ({ ...m }));
  }

  list(filter: InboxFilter = {}): InboxMessage[] {
    const ordered = this.#rows.values().sort(byReceived);
    let start = 0;
    if (filter.after !== undefined) {
      const at = ordered.findIndex((m) => m.id === filter.after);
      if (at < 0) return [];
      start = at + 1;
    }
    const rows = ordered.slice(start).filter((m) =>
      (filter.unread === undefined || (m.readAt === null) === filter.unread) &&
      (filter.from === undefined || m.from === filter.from) &&
      (filter.type === undefined || m.type === filter.type) &&
      (filter.since === undefined || m.receivedAt >= filter.since));
    return take(rows, filter.limit).map((m) => ({ ...m }));
  }

  markRead(ids: readonly string[], now: number): number {
    let n = 0;
    for (const id of new Set(ids)) {
      const m = this.#rows.get(id);
      if (m !== undefined && m.readAt === null) {
        this.#rows.set(id, { ...m, readAt: now });
        n += 1;
      }
    }
    return n;
  }

  claimForDelivery(now: number, limit: number, leaseMs: number): InboxMessage[] {
    const due = this.#rows.values()
      .filter((m) => m.deliveryState === 'pending' && m.nextDeliveryAt <= now && m.leaseUntil <= now)
      .sort(byReceived);
    return take(due, limit).map((m) => {
      const leased = { ...m, leaseUntil: now + leaseMs };
      this.#rows.set(m.id, leased);
      return { ...leased };
    });
  }

  markHandedOff(id: string, _now: number): void {
    const m = this.#rows.get(id);
    if (m !== undefined) this.#rows.set(id, { ...m, deliveryState: 'delivered', leaseUntil: 0, deliveryError: null });
  }

  recordDeliveryFailure(id: string, error: string, nextDeliveryAt: number, permanent: boolean): void {
    const m = this.#rows.get(id);
    if (m === undefined || m.deliveryState !== 'pending') return;
    this.#rows.set(id, {
      ...m, deliveryAttempts: m.deliveryAttempts + 1, deliveryError: error, nextDeliveryAt, leaseUntil: 0,
      deliveryState: permanent ? 'failed' : 'pending',
    });
  }

  retryDelivery(id: string, now: number): boolean {
    const m = this.#rows.get(id);
    if (m === undefined || m.deliveryState !== 'failed') return false;
    this.#rows.set(id, { ...m, deliveryState: 'pending', deliveryAttempts: 0, nextDeliveryAt: now, leaseUntil: 0 });
    return true;
  }

  withdraw(id: string, now: number, reason: string): boolean {
    const m = this.#rows.get(id);
    if (m === undefined) return false;
    if (m.deliveryState === 'pending' && m.leaseUntil <= now) {
      this.#rows.set(id, { ...m, deliveryState: 'failed', deliveryError: reason, leaseUntil: 0 });
      return true;
    }
    if (m.deliveryState === 'none' && m.readAt === null) {
      this.#rows.set(id, { ...m, readAt: now });
      return true;
    }
    return false;
  }

  setAlertTriage(id: string, decision: AlertDecision, incidentId: string | null): boolean {
    const m = this.#rows.get(id);
    if (m === undefined || m.alertDecision !== null) return false;
    this.#rows.set(id, { ...m, alertDecision: decision, incidentId });
    return true;
  }

  prune(before: number): number {
    const doomed = this.#rows.values().filter((m) => m.receivedAt < before);
    for (const m of doomed) this.#rows.delete(m.id);
    return doomed.length;
  }
}

export interface NonceEntry {
  sender: string;
  nonce: string;
  expiresAt: number;
}

export class MemoryNonceRepo implements NonceRepo {
  readonly #rows: MemTable<NonceEntry>;

  constructor(rows: MemTable<NonceEntry>) {
    this.#rows = rows;
  }

  checkAndRecord(sender: string, nonce: string, _seenAt: number, expiresAt: number): boolean {
    // JSON of the pair is an unambiguous key (no separator a sender name could contain).
    const key = JSON.stringify([sender, nonce]);
    if (this.#rows.has(key)) return false;
    this.#rows.set(key, { sender, nonce, expiresAt });
    return true;
  }

  prune(now: number): number {
    const doomed = this.#rows.values().filter((e) => e.expiresAt <= now);
    for (const e of doomed) this.#rows.delete(JSON.stringify([e.sender, e.nonce]));
    return doomed.length;
  }
}

export type SeqAuditEntry = AuditEntry & { seq: number };

export class MemoryAuditRepo implements AuditRepo {
  readonly #rows: MemTable<SeqAuditEntry>;
  readonly #seq: MemCounter;

  constructor(rows: MemTable<SeqAuditEntry>, seq: MemCounter) {
    this.#rows = rows;
    this.#seq = seq;
  }

  append(entry: AuditEntry): number {
    const seq = this.#seq.next();
    this.#rows.set(String(seq), { ...entry, seq });
    return seq;
  }

  query(f: AuditFilter = {}): SeqAuditEntry[] {
    const rows = this.#rows.values().filter((e) =>
      (f.agent === undefined || e.from === f.agent || e.to === f.agent) &&
      (f.from === undefined || e.from === f.from) &&
      (f.to === undefined || e.to === f.to) &&
      (f.type === undefined || e.type === f.type) &&
      (f.status === undefined || e.status === f.status) &&
      (f.id === undefined || e.id === f.id) &&
      (f.correlationId === undefined || e.correlationId === f.correlationId) &&
      (f.since === undefined || e.ts >= f.since) &&
      (f.until === undefined || e.ts <= f.until) &&
      (f.afterSeq === undefined || e.seq > f.afterSeq) &&
      (f.direction === undefined || e.direction === f.direction));
    if (f.order === 'desc') rows.reverse();
    return take(rows, f.limit).map((e) => ({ ...e }));
  }

  tally(since?: number): AuditTally[] {
    const groups = new Map<string, AuditTally>();
    for (const e of this.#rows.values()) {
      if (since !== undefined && e.ts < since) continue;
      const key = `${e.direction}\u0000${e.status}`;
      const t = groups.get(key) ?? { direction: e.direction, status: e.status, count: 0, signed: 0, encrypted: 0 };
      t.count++;
      if (e.signed) t.signed++;
      if (e.encrypted) t.encrypted++;
      groups.set(key, t);
    }
    const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return [...groups.values()].sort((a, b) => cmp(a.direction, b.direction) || cmp(a.status, b.status));
  }

  prune(before: number): number {
    const doomed = this.#rows.values().filter((e) => e.ts < before);
    for (const e of doomed) this.#rows.delete(String(e.seq));
    return doomed.length;
  }
}

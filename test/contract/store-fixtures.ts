import type { AuditEntry, NewInboxMessage, NewOutboxMessage, Store } from '../../src/ports/store.ts';

export type MakeStore = () => { store: Store; cleanup(): void };

/** A fixed origin so every expectation is exact. */
export const T0 = Date.UTC(2026, 0, 1);
export const HOUR = 3_600_000;

/** Runs `fn` on a fresh store and always cleans up. */
export function withStore(makeStore: MakeStore, fn: (store: Store) => void): void {
  const { store, cleanup } = makeStore();
  try {
    fn(store);
  } finally {
    cleanup();
  }
}

export function outboxMsg(id: string, over: Partial<NewOutboxMessage> = {}): NewOutboxMessage {
  return {
    id, peer: 'beta', type: 'request', envelope: `{"id":"${id}","payload":"bytes"}`, sessionKey: null,
    createdAt: T0, expiresAt: T0 + HOUR, nextAttemptAt: T0, ...over,
  };
}

export function inboxMsg(id: string, over: Partial<NewInboxMessage> = {}): NewInboxMessage {
  return {
    id, from: 'alpha', to: 'beta', type: 'request', correlationId: null, conversationId: null, idempotencyKey: null,
    subject: `subject ${id}`, envelope: `{"id":"${id}"}`, body: `body ${id}`, auth: 'hmac', receivedAt: T0,
    deliveryState: 'none', nextDeliveryAt: T0, ...over,
  };
}

export function auditEntry(over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ts: T0, direction: 'out', status: 'sent', id: 'msg_1', from: 'alpha', to: 'beta', type: 'request',
    subject: 'hello', correlationId: null, conversationId: null, signed: true, encrypted: false, detail: null, ...over,
  };
}

export const ids = (rows: readonly { id: string }[]): string[] => rows.map((r) => r.id);

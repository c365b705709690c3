/**
 * Request tracking (`mesh track`): which requests this node sent, where each one stands (outbox,
 * dead letters, audit), and whether a correlated answer (correlationId = the request id) arrived.
 * Answers are found in the inbox and, for answers pruned from it, in the audit trail's `received`
 * rows, so tracking sees responses no matter how they arrived (bash's tracker never did: §13.2 #23).
 */
import type { AuditEntry, InboxMessage } from '../ports/store.ts';
import { envelopeHeader } from '../delivery/outbound-audit.ts';
import type { MeshNode } from './mesh-node.ts';

export type RequestDelivery = 'delivered' | 'queued' | 'dead_lettered' | 'expired' | 'purged' | 'unknown';
export type RequestStatus = 'answered' | 'pending' | 'failed';

export interface TrackedRequest {
  id: string;
  to: string;
  subject: string | null;
  /** First trace of the request (outbox creation or first audit row). */
  sentAt: number;
  delivery: RequestDelivery;
  status: RequestStatus;
  attempts: number | null;
  /** Dead-letter reason or the last delivery error. */
  error: string | null;
  responses: number;
  lastResponseAt: number | null;
}

export interface Reply {
  id: string;
  from: string;
  type: string;
  subject: string | null;
  receivedAt: number;
  /** Plaintext body; null when the message is known from the audit trail only (pruned from the inbox). */
  body: string | null;
  read: boolean | null;
}

export interface RequestCheck {
  id: string;
  /** Envelope type of the outbound message with this id (tracking works for any type), or null. */
  type: string | null;
  /** Delivery and answer state when this node sent the message; null when it only received answers to it. */
  request: TrackedRequest | null;
  outbox: { state: string; attempts: number; lastError: string | null; createdAt: number; nextAttemptAt: number; expiresAt: number; deliveredAt: number | null } | null;
  deadLetter: { reason: string; attempts: number; lastError: string | null; failedAt: number; expiresAt: number } | null;
  /** Audit rows about this id, oldest first. */
  history: (AuditEntry & { seq: number })[];
  replies: Reply[];
}

export interface RequestFilter {
  agent?: string | undefined;
  since?: number | undefined;
}

interface Trace { to: string; subject: string | null; firstTs: number; lastStatus: string | null }

const FAILED: ReadonlySet<RequestDelivery> = new Set(['dead_lettered', 'expired', 'purged']);

/** Outbound request ids with their first trace: audit rows, pending outbox rows, dead letters. */
function requestTraces(node: MeshNode, f: RequestFilter): Map<string, Trace> {
  const { store } = node;
  const traces = new Map<string, Trace>();
  const rows = store.audit.query({ type: 'request', ...(f.since === undefined ? {} : { since: f.since }), ...(f.agent === undefined ? {} : { to: f.agent }) });
  for (const r of rows) {
    if (r.direction !== 'out' || r.id === null) continue;
    const t = traces.get(r.id);
    if (t === undefined) traces.set(r.id, { to: r.to ?? '?', subject: r.subject, firstTs: r.ts, lastStatus: r.status });
    else t.lastStatus = r.status;
  }
  const stored = [
    ...store.outbox.listPending(f.agent),
    ...store.deadLetters.list(f.agent === undefined ? {} : { peer: f.agent }),
  ];
  for (const m of stored) {
    if (m.type !== 'request' || traces.has(m.id) || (f.since !== undefined && m.createdAt < f.since)) continue;
    traces.set(m.id, { to: m.peer, subject: envelopeHeader(m.envelope).subject, firstTs: m.createdAt, lastStatus: null });
  }
  return traces;
}

/** Inbound messages correlated to `id`: the inbox first, then audit-only ones (pruned from the inbox). */
export function repliesTo(node: MeshNode, id: string): Reply[] {
  const { store } = node;
  const fromInbox = store.inbox.findByCorrelation(id).map((m: InboxMessage): Reply => ({
    id: m.id, from: m.from, type: m.type, subject: m.subject, receivedAt: m.receivedAt, body: m.body, read: m.readAt !== null,
  }));
  const seen = new Set(fromInbox.map((r) => r.id));
  const fromAudit: Reply[] = [];
  for (const r of store.audit.query({ correlationId: id, status: 'received' })) {
    if (r.direction !== 'in' || r.id === null || seen.has(r.id)) continue;
    seen.add(r.id);
    fromAudit.push({ id: r.id, from: r.from ?? '?', type: r.type ?? '?', subject: r.subject, receivedAt: r.ts, body: null, read: null });
  }
  return [...fromInbox, ...fromAudit].sort((a, b) => a.receivedAt - b.receivedAt);
}

function deliveryFromAudit(status: string | null): RequestDelivery {
  switch (status) {
    case 'sent': return 'delivered';
    case 'dead_lettered': return 'dead_lettered';
    case 'expired': return 'expired';
    case 'purged': return 'purged';
    default: return 'unknown';
  }
}

function track(node: MeshNode, id: string, t: Trace): TrackedRequest {
  const { store } = node;
  let delivery: RequestDelivery;
  let attempts: number | null = null;
  let error: string | null = null;
  const row = store.outbox.get(id);
  const letter = row === null ? store.deadLetters.get(id) : null;
  if (row !== null) {
    delivery = row.state === 'delivered' ? 'delivered' : 'queued';
    // The successful attempt is not counted in `attempts` (see attemptById).
    attempts = row.state === 'delivered' ? row.attempts + 1 : row.attempts;
    error = row.state === 'delivered' ? null : row.lastError;
  } else if (letter !== null) {
    delivery = 'dead_lettered';
    attempts = letter.attempts;
    error = letter.reason;
  } else {
    delivery = deliveryFromAudit(t.lastStatus);
  }
  const replies = repliesTo(node, id);
  const status: RequestStatus = replies.length > 0 ? 'answered' : FAILED.has(delivery) ? 'failed' : 'pending';
  return {
    id, to: t.to, subject: t.subject, sentAt: t.firstTs, delivery, status, attempts, error,
    responses: replies.length, lastResponseAt: replies.at(-1)?.receivedAt ?? null,
  };
}

/** Requests this node sent, oldest first. */
export function trackedRequests(node: MeshNode, f: RequestFilter = {}): TrackedRequest[] {
  return [...requestTraces(node, f)].map(([id, t]) => track(node, id, t)).sort((a, b) => a.sentAt - b.sentAt);
}

export interface TrackingSummary {
  requests: { total: number; answered: number; pending: number; failed: number; responseRate: number | null };
  /** Audit rows by status (all directions). */
  byStatus: Record<string, number>;
  /** Delivered (`sent`) and `received` messages by envelope type. */
  byType: Record<string, { sent: number; received: number }>;
  /** Per peer: messages delivered to it, received from it, requests sent to it and answered. */
  agents: Record<string, { sent: number; received: number; requests: number; answered: number }>;
}

function bump<T>(rec: Record<string, T>, key: string, init: () => T): T {
  if (!Object.hasOwn(rec, key)) Object.defineProperty(rec, key, { value: init(), enumerable: true, writable: true, configurable: true });
  return rec[key] as T;
}

export function trackingSummary(node: MeshNode, f: RequestFilter = {}): TrackingSummary {
  const byStatus: Record<string, number> = {};
  const byType: TrackingSummary['byType'] = {};
  const agents: TrackingSummary['agents'] = {};
  const agent = (name: string): { sent: number; received: number; requests: number; answered: number } =>
    bump(agents, name, () => ({ sent: 0, received: 0, requests: 0, answered: 0 }));
  const rows = node.store.audit.query({ ...(f.since === undefined ? {} : { since: f.since }), ...(f.agent === undefined ? {} : { agent: f.agent }) });
  for (const r of rows) {
    byStatus[r.status] = bump(byStatus, r.status, () => 0) + 1;
    const type = r.type ?? '?';
    if (r.direction === 'out' && r.status === 'sent') {
      bump(byType, type, () => ({ sent: 0, received: 0 })).sent++;
      if (r.to !== null) agent(r.to).sent++;
    } else if (r.direction === 'in' && r.status === 'received') {
      bump(byType, type, () => ({ sent: 0, received: 0 })).received++;
      if (r.from !== null) agent(r.from).received++;
    }
  }
  const requests = trackedRequests(node, f);
  const count = (s: RequestStatus): number => requests.filter((r) => r.status === s).length;
  for (const r of requests) {
    const a = agent(r.to);
    a.requests++;
    if (r.status === 'answered') a.answered++;
  }
  const answered = count('answered');
  return {
    requests: {
      total: requests.length, answered, pending: count('pending'), failed: count('failed'),
      responseRate: requests.length === 0 ? null : answered / requests.length,
    },
    byStatus, byType, agents,
  };
}

/** Everything known about one message id; null when the id appears nowhere. */
export function checkRequest(node: MeshNode, id: string): RequestCheck | null {
  const { store } = node;
  const history = store.audit.query({ id });
  const row = store.outbox.get(id);
  const letter = store.deadLetters.get(id);
  const replies = repliesTo(node, id);
  if (history.length === 0 && row === null && letter === null && replies.length === 0) return null;

  const out = history.filter((h) => h.direction === 'out');
  const first = out[0];
  const to = first?.to ?? row?.peer ?? letter?.peer ?? null;
  const type = first?.type ?? row?.type ?? letter?.type ?? null;
  const request = to !== null && (out.length > 0 || row !== null || letter !== null)
    ? track(node, id, {
      to,
      subject: first?.subject ?? envelopeHeader(row?.envelope ?? letter?.envelope ?? '').subject,
      firstTs: Math.min(...[first?.ts, row?.createdAt, letter?.createdAt].filter((x): x is number => x !== undefined)),
      lastStatus: out.at(-1)?.status ?? null,
    })
    : null;
  return {
    id,
    type,
    request,
    outbox: row === null ? null : {
      state: row.state, attempts: row.attempts, lastError: row.lastError, createdAt: row.createdAt,
      nextAttemptAt: row.nextAttemptAt, expiresAt: row.expiresAt, deliveredAt: row.deliveredAt,
    },
    deadLetter: letter === null ? null : {
      reason: letter.reason, attempts: letter.attempts, lastError: letter.lastError, failedAt: letter.failedAt, expiresAt: letter.expiresAt,
    },
    history,
    replies,
  };
}

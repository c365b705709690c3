/**
 * The node at a glance, for `GET /api/mesh`: what bash's `collect_mesh_data` returned (recent
 * messages, stats by agent and type, circuits, dead letters, incidents, peers; bash-mesh-behavior.md
 * §11.1), read from the store and the registry, with no token, key or envelope in it. bash's
 * `registry` (which included every hook token) becomes `peers`: address, schemes, health, circuit,
 * queue depth and dead letters per peer. Times are epoch milliseconds.
 */
import type { AuditEntry, BreakerRecord, IncidentRecord } from '../ports/store.ts';
import type { MeshNode } from './mesh-node.ts';

/** bash returned the last 200 audit lines. */
export const OVERVIEW_MESSAGES = 200;
export const OVERVIEW_DEAD_LETTERS = 200;
export const OVERVIEW_INCIDENTS = 200;
/** Audit entries the statistics read at most per direction (the newest ones of the window). */
export const OVERVIEW_STATS_MAX_ENTRIES = 50_000;
export const DEFAULT_OVERVIEW_WINDOW_HOURS = 24;

/** One audit entry as the overview shows it: the store's entry and its sequence number. */
export type AuditView = Omit<AuditEntry, 'agent'> & { seq: number };

export interface AgentStats {
  sent: number;
  received: number;
  failed: number;
}

export interface OverviewStats {
  /** The window the figures cover: [since, generatedAt]. */
  since: number;
  hours: number;
  /** Outbound attempts that delivered (`sent`). */
  totalSent: number;
  /** Inbound messages accepted (`received`). */
  totalReceived: number;
  /** Outbound dead-lettered or expired, inbound rejected. */
  totalFailed: number;
  /** Per peer: messages to it (sent, failed) and from it (received, rejected → failed). */
  byAgent: Record<string, AgentStats>;
  /** Per message type, sent and received. */
  byType: Record<string, number>;
  /** Every inbound and outbound audit entry of the window. */
  last24h: number;
  /** The window held more entries than were read (OVERVIEW_STATS_MAX_ENTRIES per direction). */
  truncated: boolean;
}

export interface PeerOverview {
  name: string;
  role: string;
  /** Where we send to it (no credentials). */
  address: string;
  signing: string;
  encryption: string;
  health: { reachable: boolean; latencyMs: number | null; lastProbeAt: number; lastOkAt: number | null; consecutiveFailures: number } | null;
  circuit: { state: BreakerRecord['state']; consecutiveFailures: number; openUntil: number | null };
  queued: number;
  deadLetters: number;
}

export interface DeadLetterView {
  id: string;
  peer: string;
  type: string;
  subject: string | null;
  reason: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  failedAt: number;
  expiresAt: number;
}

export interface MeshOverview {
  agent: string;
  generatedAt: number;
  /** Event-log position this view was read at: `GET /api/events?after=<eventSeq>` continues from it. */
  eventSeq: number;
  messages: AuditView[];
  stats: OverviewStats;
  circuitBreakers: BreakerRecord[];
  deadLetters: DeadLetterView[];
  deadLetterCounts: Record<string, number>;
  queue: Record<string, number>;
  incidents: IncidentRecord[];
  peers: PeerOverview[];
}

export function auditView(e: AuditEntry & { seq: number }): AuditView {
  return {
    seq: e.seq, ts: e.ts, direction: e.direction, status: e.status, id: e.id, from: e.from, to: e.to,
    type: e.type, subject: e.subject, correlationId: e.correlationId, conversationId: e.conversationId, signed: e.signed,
    encrypted: e.encrypted, detail: e.detail,
  };
}

/** A URL without user:password@ (a registry `url` may carry them). */
export function publicAddress(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

const isFailure = (e: AuditEntry): boolean =>
  e.direction === 'out' ? e.status === 'dead_lettered' || e.status === 'expired' : e.status.startsWith('rejected_');

function statsOf(entries: readonly AuditEntry[], since: number, hours: number, truncated: boolean): OverviewStats {
  const byAgent: Record<string, AgentStats> = Object.create(null) as Record<string, AgentStats>;
  const byType: Record<string, number> = Object.create(null) as Record<string, number>;
  let totalSent = 0;
  let totalReceived = 0;
  let totalFailed = 0;
  for (const e of entries) {
    const peer = e.direction === 'out' ? e.to : e.from;
    const a = peer === null ? null : (byAgent[peer] ??= { sent: 0, received: 0, failed: 0 });
    const sent = e.direction === 'out' && e.status === 'sent';
    const received = e.direction === 'in' && e.status === 'received';
    if (sent) totalSent += 1;
    if (received) totalReceived += 1;
    if (a !== null && sent) a.sent += 1;
    if (a !== null && received) a.received += 1;
    if (isFailure(e)) {
      totalFailed += 1;
      if (a !== null) a.failed += 1;
    }
    if ((sent || received) && e.type !== null) byType[e.type] = (byType[e.type] ?? 0) + 1;
  }
  return {
    since, hours, totalSent, totalReceived, totalFailed,
    byAgent: { ...byAgent }, byType: { ...byType }, last24h: entries.length, truncated,
  };
}

function subjectOf(envelopeText: string): string | null {
  try {
    const s = (JSON.parse(envelopeText) as { payload?: { subject?: unknown } }).payload?.subject;
    return typeof s === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** Per peer in registry order: address, schemes, health, circuit, queue depth and dead letters. */
export function peerOverviews(
  node: MeshNode,
  state: { breakers: readonly BreakerRecord[]; queue: Record<string, number>; deadLetterCounts: Record<string, number> },
): PeerOverview[] {
  const breakers = new Map(state.breakers.map((b) => [b.peer, b]));
  const health = new Map(node.store.peers.list().map((h) => [h.peer, h]));
  return node.registry.list().map((p): PeerOverview => {
    const h = health.get(p.name);
    const b = breakers.get(p.name);
    return {
      name: p.name, role: p.role, address: publicAddress(p.baseUrl), signing: p.signing, encryption: p.encryption,
      health: h === undefined ? null : {
        reachable: h.reachable, latencyMs: h.latencyMs, lastProbeAt: h.lastProbeAt, lastOkAt: h.lastOkAt,
        consecutiveFailures: h.consecutiveFailures,
      },
      circuit: { state: b?.state ?? 'closed', consecutiveFailures: b?.consecutiveFailures ?? 0, openUntil: b?.openUntil ?? null },
      queued: state.queue[p.name] ?? 0,
      deadLetters: state.deadLetterCounts[p.name] ?? 0,
    };
  });
}

export function meshOverview(node: MeshNode, opts: { hours?: number } = {}): MeshOverview {
  const store = node.store;
  const now = node.clock.now();
  const hours = opts.hours ?? DEFAULT_OVERVIEW_WINDOW_HOURS;
  const since = now - hours * 3_600_000;
  // Read the position first: whatever happens after it is replayed by the event stream.
  const eventSeq = store.events.latestSeq();
  const window = (direction: 'in' | 'out'): (AuditEntry & { seq: number })[] =>
    store.audit.query({ direction, since, limit: OVERVIEW_STATS_MAX_ENTRIES, order: 'desc' });
  const inbound = window('in');
  const outbound = window('out');
  const recentIn = store.audit.query({ direction: 'in', limit: OVERVIEW_MESSAGES, order: 'desc' });
  const recentOut = store.audit.query({ direction: 'out', limit: OVERVIEW_MESSAGES, order: 'desc' });
  const messages = [...recentIn, ...recentOut].sort((a, b) => a.seq - b.seq).slice(-OVERVIEW_MESSAGES).map(auditView);

  const breakers = store.breakers.list();
  const queue = store.outbox.pendingCounts();
  const deadLetterCounts = store.deadLetters.counts();
  const peers = peerOverviews(node, { breakers, queue, deadLetterCounts });
  return {
    agent: node.self,
    generatedAt: now,
    eventSeq,
    messages,
    stats: statsOf([...inbound, ...outbound], since, hours, inbound.length >= OVERVIEW_STATS_MAX_ENTRIES || outbound.length >= OVERVIEW_STATS_MAX_ENTRIES),
    circuitBreakers: breakers,
    deadLetters: store.deadLetters.list({ limit: OVERVIEW_DEAD_LETTERS }).map((l) => ({
      id: l.id, peer: l.peer, type: l.type, subject: subjectOf(l.envelope), reason: l.reason, attempts: l.attempts, lastError: l.lastError,
      createdAt: l.createdAt, failedAt: l.failedAt, expiresAt: l.expiresAt,
    })),
    deadLetterCounts,
    queue,
    incidents: store.incidents.list({ status: 'active', limit: OVERVIEW_INCIDENTS }),
    peers,
  };
}

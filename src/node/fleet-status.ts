/**
 * A snapshot of the node and its fleet for `mesh status` and `mesh discover status|routes`: read-only
 * (it works on a read-only database), computed from the store as every process sees it. Routes are
 * computed now from the routing table, the health rows and the circuits, as the sender would decide;
 * message counts come from the audit trail (the last 24 h).
 */
import { hubStatus, memberForwards, type HubStatus } from '../fleet/election.ts';
import { latencyStats } from '../fleet/latency.ts';
import { readRouting } from '../fleet/routing-state.ts';
import { routeTable } from '../fleet/routes.ts';
import type { PeerTransport } from '../ports/peers.ts';
import type { AuditEntry, AuditTally } from '../ports/store.ts';
import { FEATURE_RELAY } from '../protocol/node-features.ts';
import type { MeshNode } from './mesh-node.ts';
import { forwardsRelayed, hubOf, registryOrder } from './node-fleet.ts';

/** Message counts cover this much of the audit trail. */
export const STATUS_MESSAGES_WINDOW_MS = 86_400_000;
export const STATUS_RECENT_MESSAGES = 5;

export type PeerState = 'up' | 'down' | 'unsure' | 'unknown';

export interface PeerStatus {
  name: string;
  role: string;
  endpoint: string;
  /** How it is reached: HTTP hooks, or the fleet's NATS JetStream (then endpoint is `nats:<name>`). */
  transport: PeerTransport;
  /** up: last probe answered; down: `unreachableAfterFailures` failed probes; unsure: fewer; unknown: never probed. */
  status: PeerState;
  latencyMs: number | null;
  medianMs: number | null;
  p95Ms: number | null;
  samples: number;
  failures: number;
  lastProbeAt: number | null;
  lastSeenAt: number | null;
  detail: string | null;
  /** A MESH-TS node that verifies relayed envelopes (relay/1); false: a gateway/bash node; null: never answered. */
  meshNode: boolean | null;
  forwards: boolean;
  circuit: 'closed' | 'open' | 'half-open';
  circuitOpenUntil: number | null;
  route: 'direct' | 'relay';
  via: string | null;
  queued: number;
  deadLetters: number;
}

export interface MessageCounts {
  out: { sent: number; viaRelay: number; signed: number; encrypted: number; deadLettered: number };
  in: { received: number; signed: number; encrypted: number; rejected: number };
  /** Relayed envelopes this node accepted to forward for other peers. */
  forwarded: number;
}

export interface RecentMessage {
  ts: number;
  direction: 'in' | 'out';
  status: string;
  id: string | null;
  from: string | null;
  to: string | null;
  type: string | null;
  subject: string | null;
  signed: boolean;
  encrypted: boolean;
  via: string | null;
}

export interface FleetSnapshot {
  agent: string;
  at: number;
  /** This node forwards relayed envelopes. */
  forwarding: boolean;
  hub: { name: string | null; status: HubStatus | 'self' };
  relay: string | null;
  epoch: number;
  electedBy: string | null;
  electedAt: number | null;
  peers: PeerStatus[];
  queue: { pending: number; deadLetters: number };
  messages: MessageCounts & { sinceMs: number };
  recent: RecentMessage[];
}

function countMessages(tally: readonly AuditTally[]): MessageCounts {
  const c: MessageCounts = {
    out: { sent: 0, viaRelay: 0, signed: 0, encrypted: 0, deadLettered: 0 },
    in: { received: 0, signed: 0, encrypted: 0, rejected: 0 },
    forwarded: 0,
  };
  for (const t of tally) {
    if (t.direction === 'out' && (t.status === 'sent' || t.status.startsWith('relayed_via_'))) {
      c.out.sent += t.count;
      c.out.signed += t.signed;
      c.out.encrypted += t.encrypted;
      if (t.status !== 'sent') c.out.viaRelay += t.count;
    } else if (t.direction === 'out' && t.status === 'dead_lettered') {
      c.out.deadLettered += t.count;
    } else if (t.direction === 'in' && t.status === 'received') {
      c.in.received += t.count;
      c.in.signed += t.signed;
      c.in.encrypted += t.encrypted;
    } else if (t.direction === 'in' && t.status.startsWith('rejected_')) {
      c.in.rejected += t.count;
    } else if (t.direction === 'in' && t.status === 'relay_forwarded') {
      c.forwarded += t.count;
    }
  }
  return c;
}

const MESSAGE_STATUSES = (e: AuditEntry): boolean =>
  (e.direction === 'out' && (e.status === 'sent' || e.status.startsWith('relayed_via_') || e.status === 'dead_lettered')) ||
  (e.direction === 'in' && (e.status === 'received' || e.status === 'relay_forwarded'));

function viaOf(e: AuditEntry): string | null {
  if (e.status.startsWith('relayed_via_')) return e.status.slice('relayed_via_'.length);
  const m = e.direction === 'in' && e.detail !== null ? /; via ([A-Za-z0-9_-]+)$/.exec(e.detail) : null;
  return m?.[1] ?? null;
}

function recentMessages(node: MeshNode): RecentMessage[] {
  return node.store.audit.query({ order: 'desc', limit: 200 }).filter(MESSAGE_STATUSES).slice(0, STATUS_RECENT_MESSAGES).map((e) => ({
    ts: e.ts, direction: e.direction as 'in' | 'out', status: e.status, id: e.id, from: e.from, to: e.to, type: e.type,
    subject: e.subject, signed: e.signed, encrypted: e.encrypted, via: viaOf(e),
  }));
}

export function fleetSnapshot(node: MeshNode): FleetSnapshot {
  const now = node.clock.now();
  const store = node.store;
  const f = node.config.fleet;
  const routing = readRouting(store);
  const peers = node.registry.list();
  const health = new Map(store.peers.list().map((h) => [h.peer, h]));
  const circuits = new Map(peers.map((p) => [p.name, node.delivery.breaker.state(p.name, now)]));
  const routes = routeTable(
    { self: node.self, state: routing, health: (p) => health.get(p) ?? null },
    peers.map((p) => ({ name: p.name, signed: p.signing !== 'none', circuitClosed: circuits.get(p.name)?.state === 'closed' })),
    f.unreachableAfterFailures,
  );
  const pending = store.outbox.pendingCounts();
  const dead = store.deadLetters.counts();
  const peerStatus: PeerStatus[] = peers.map((p) => {
    const h = health.get(p.name) ?? null;
    const stats = latencyStats(h?.samples ?? []);
    const b = circuits.get(p.name);
    const status: PeerState = h === null ? 'unknown'
      : h.reachable ? 'up' : h.consecutiveFailures >= f.unreachableAfterFailures ? 'down' : 'unsure';
    const route = routes[p.name] ?? { route: 'direct' as const, via: null };
    return {
      name: p.name, role: p.role, endpoint: p.baseUrl, transport: p.transport ?? 'http', status, latencyMs: h?.latencyMs ?? null, medianMs: stats.medianMs, p95Ms: stats.p95Ms,
      samples: stats.samples, failures: h?.consecutiveFailures ?? 0, lastProbeAt: h?.lastProbeAt ?? null, lastSeenAt: h?.lastOkAt ?? null,
      detail: h?.detail ?? null, meshNode: h?.features === null || h === null ? null : h.features.includes(FEATURE_RELAY),
      forwards: memberForwards(h?.features ?? null), circuit: b?.state ?? 'closed', circuitOpenUntil: b?.state === 'open' ? b.openUntil : null,
      route: route.route, via: route.via, queued: pending[p.name] ?? 0, deadLetters: dead[p.name] ?? 0,
    };
  });
  const hub = hubOf(node);
  const members = registryOrder(node).flatMap((name) => {
    const p = node.registry.get(name);
    if (p === null) return [];
    const h = health.get(name);
    return [{ name, role: p.role, self: name === node.self, reachable: name === node.self || h?.reachable === true,
      consecutiveFailures: h?.consecutiveFailures ?? 0, medianMs: null, forwards: false }];
  });
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((n, x) => n + x, 0);
  return {
    agent: node.self,
    at: now,
    forwarding: forwardsRelayed(node),
    hub: { name: hub, status: hub === node.self ? 'self' : hubStatus({ hub, members, unreachableAfterFailures: f.unreachableAfterFailures }) },
    relay: routing.relay,
    epoch: routing.epoch,
    electedBy: routing.electedBy,
    electedAt: routing.electedAt,
    peers: peerStatus,
    queue: { pending: sum(pending), deadLetters: sum(dead) },
    messages: { ...countMessages(store.audit.tally(now - STATUS_MESSAGES_WINDOW_MS)), sinceMs: STATUS_MESSAGES_WINDOW_MS },
    recent: recentMessages(node),
  };
}

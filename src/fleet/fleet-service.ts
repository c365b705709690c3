/**
 * The fleet service (ARCHITECTURE.md §3 `fleet/`, ports only): probes peers on an interval, keeps the
 * routing table (hub, relay, epoch, a route per peer), runs relay elections and announces them, and
 * follows the highest election it has verified. The daemon schedules `tick()` (node/background.ts);
 * `mesh discover` calls the parts directly. Every change is an event (`peer.health`, `relay.elected`,
 * `relay.election_ignored`, `route.changed`) and elections are audited.
 *
 * Concurrency: the routing table is read and written inside store transactions; an election commits
 * only if no higher epoch arrived since it was decided, so a node never announces an epoch it did not
 * take. Announcements go out through the durable outbox (FleetOutbound) and are not awaited by the
 * tick (a hung peer must not stall probing); `settled()` awaits them (CLI, shutdown).
 */
import type { Clock } from '../ports/clock.ts';
import type { PeerCircuits } from '../ports/circuits.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { FleetOutbound } from '../ports/fleet-outbound.ts';
import type { AcceptedMessage } from '../ports/inbound-observer.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerDirectory } from '../ports/peers.ts';
import type { Store } from '../ports/store.ts';
import type { Transport } from '../ports/transport.ts';
import { derivedOptions, type OptionsSource } from '../protocol/derived-options.ts';
import {
  ELECTION_SUBJECT, electionMetadata, electionNoticeOf, electionText, type ElectionNotice,
} from '../protocol/election-notice.ts';
import type { Envelope } from '../protocol/envelope.ts';
import type { ElectionIgnoredReason } from '../protocol/events.ts';
import { FEATURE_RELAY } from '../protocol/node-features.ts';
import { decide, memberForwards, nextEpoch, type Decision, type Member } from './election.ts';
import { probeRound, type ProbeDeps, type ProbeReport } from './fleet-probes.ts';
import { resolveFleetOptions, type FleetOptions, type FleetOptionsInput } from './fleet-options.ts';
import { followed, judgeAnnouncement } from './follow.ts';
import { median } from './latency.ts';
import { readRoutes, readRouting, writeRoutes, writeRouting, type RouteTable, type RoutingState } from './routing-state.ts';
import { routeTable } from './routes.ts';

export interface FleetDeps {
  self: string;
  store: Store;
  peers: PeerDirectory;
  /** Every registry agent name in file order, this node included (roles come from `peers`). */
  registryOrder(): string[];
  transport: Transport;
  circuits: PeerCircuits;
  clock: Clock;
  events: EventSink;
  audit: AuditSink;
  logger: Logger;
  outbound: FleetOutbound;
  options: OptionsSource<FleetOptionsInput>;
  /** Uniform in [0, 1): the jitter of the probe schedule (Math.random by default). */
  random?: () => number;
}

export interface FleetService {
  /** Probes every peer once and records it (`all`: even peers whose circuit is open). */
  probeRound(o?: { all?: boolean }): Promise<ProbeReport[]>;
  /** Applies the election rules to the current state; elects or returns and announces when they say so. */
  evaluate(o?: { force?: boolean }): Decision;
  /** The daemon's turn: a probe round, then evaluate. */
  tick(): Promise<void>;
  /** When the next probe round is due (jittered interval after the last one). */
  nextDueAt(): number | null;
  /** An accepted message (inside its storing transaction): follows a verified election announcement. */
  onInbound(m: AcceptedMessage): void;
  /** Election announcements are the node's, not the agent's: never handed off. */
  consumes(envelope: Envelope): boolean;
  /** Recomputes the route of every peer; emits `route.changed` for each that changed. */
  refreshRoutes(): RouteTable;
  routing(): RoutingState;
  readonly options: FleetOptions;
  /** Resolves once every announcement started so far has had its first attempt. */
  settled(): Promise<void>;
}

export function createFleetService(deps: FleetDeps): FleetService {
  const { self, store, clock, events, audit, logger } = deps;
  const options = derivedOptions(deps.options, resolveFleetOptions, (e) => {
    logger.error('fleet: new options refused, keeping the last good ones', { error: (e as Error).message });
  });
  const random = deps.random ?? Math.random;
  const probeDeps: ProbeDeps = { store, transport: deps.transport, circuits: deps.circuits, clock, events, logger };
  const inFlight = new Set<Promise<unknown>>();
  let nextRoundAt: number | null = null;
  let lastDecision: Decision['kind'] | null = null;

  function members(o: FleetOptions): Member[] {
    const out: Member[] = [];
    for (const name of deps.registryOrder()) {
      const p = deps.peers.get(name);
      if (p === null) continue;
      if (name === self) {
        out.push({ name, role: p.role, self: true, reachable: true, consecutiveFailures: 0, medianMs: null, forwards: o.forwarding });
        continue;
      }
      const h = store.peers.get(name);
      out.push({
        name, role: p.role, self: false, reachable: h?.reachable ?? false, consecutiveFailures: h?.consecutiveFailures ?? 0,
        medianMs: median(h?.samples ?? []), forwards: memberForwards(h?.features ?? null),
      });
    }
    return out;
  }

  function record(status: string, n: Pick<ElectionNotice, 'epoch' | 'relay' | 'hub' | 'electedBy'>, extra: { id?: string; signed?: boolean; detail?: string }): void {
    const detail = `epoch ${n.epoch}; relay ${n.relay ?? 'none'}; hub ${n.hub ?? 'none'}; by ${n.electedBy}${extra.detail ? `; ${extra.detail}` : ''}`;
    audit.record({
      ts: clock.now(), direction: 'local', status, id: extra.id ?? null, from: n.electedBy, to: n.relay, type: 'notification',
      subject: ELECTION_SUBJECT, correlationId: null, conversationId: null, signed: extra.signed ?? false, encrypted: false, detail,
    });
  }

  function track(p: Promise<unknown>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  /** Sends `n` to `targets` (or every peer that follows elections), each through the durable outbox. */
  function announce(n: ElectionNotice, targets?: readonly string[]): void {
    const o = options();
    const names = targets ?? deps.peers.list().map((p) => p.name);
    for (const target of names) {
      if (target === self || !(store.peers.get(target)?.features ?? []).includes(FEATURE_RELAY)) continue;
      track(deps.outbound.announce({
        target, subject: ELECTION_SUBJECT, body: electionText(n), metadata: electionMetadata(n), ttlSeconds: o.announceTtlSeconds,
      }).then((r) => {
        if (r.status !== 'delivered') logger.info('fleet: election announcement not delivered yet', { peer: target, status: r.status, error: r.error ?? null });
      }, (e: unknown) => logger.error('fleet: election announcement failed', { peer: target, error: (e as Error).name })));
    }
  }

  function refreshRoutes(): RouteTable {
    const o = options();
    const now = clock.now();
    return store.transaction(() => {
      const state = readRouting(store);
      const peers = deps.peers.list().map((p) => ({
        name: p.name, signed: p.signing !== 'none', circuitClosed: deps.circuits.state(p.name, now).state === 'closed',
      }));
      const table = routeTable({ self, state, health: (p) => store.peers.get(p) }, peers, o.unreachableAfterFailures);
      const prev = readRoutes(store);
      let changed = Object.keys(prev).some((p) => table[p] === undefined);
      for (const [peer, r] of Object.entries(table)) {
        const before = prev[peer];
        if (before !== undefined && before.route === r.route && before.via === r.via) continue;
        changed = true;
        // A peer seen for the first time on a direct route is not news.
        if (before === undefined && r.route === 'direct') continue;
        events.emit({ type: 'route.changed', peer, route: r.route, via: r.via });
      }
      if (changed) writeRoutes(store, table, now);
      return table;
    });
  }

  function evaluate(o: { force?: boolean } = {}): Decision {
    const opts = options();
    const now = clock.now();
    const state = readRouting(store);
    const d = decide({
      self, hub: opts.hub, members: members(opts), state, now, unreachableAfterFailures: opts.unreachableAfterFailures,
      electionHoldMs: opts.electionHoldMs, force: o.force === true,
    });
    if (d.kind === 'isolated' && lastDecision !== 'isolated') logger.warn('fleet: the hub is unreachable and no peer can be relay', { hub: opts.hub });
    lastDecision = d.kind;
    if (d.kind === 'elect' || d.kind === 'return') {
      const notice: ElectionNotice = { epoch: d.epoch, hub: opts.hub, relay: d.kind === 'elect' ? d.relay : null, electedBy: self, at: now };
      const taken = store.transaction(() => {
        const current = readRouting(store);
        // Someone else's election arrived between deciding and committing: decide again next round.
        if (nextEpoch(current) !== d.epoch) return false;
        writeRouting(store, followed(current, notice, now), now);
        events.emit({ type: 'relay.elected', epoch: notice.epoch, hub: notice.hub, relay: notice.relay, electedBy: self, source: 'self' });
        record('relay_elected', notice, { detail: d.reason });
        return true;
      });
      if (taken) {
        logger.info(notice.relay === null ? 'fleet: hub reachable again, routes go direct' : 'fleet: relay elected', {
          epoch: notice.epoch, hub: notice.hub, relay: notice.relay, reason: d.reason,
        });
        announce(notice);
      }
    }
    refreshRoutes();
    return d;
  }

  async function runProbeRound(o: { all?: boolean } = {}): Promise<ProbeReport[]> {
    const opts = options();
    const started = clock.now();
    const reports = await probeRound(probeDeps, deps.peers.list(), { all: o.all === true, timeoutMs: opts.probeTimeoutMs, samples: opts.latencySamples });
    const spread = opts.probeIntervalMs * opts.probeJitter * (2 * random() - 1);
    nextRoundAt = started + opts.probeIntervalMs + spread;
    return reports;
  }

  function ignored(m: AcceptedMessage, reason: ElectionIgnoredReason, n: Pick<ElectionNotice, 'epoch' | 'relay' | 'hub' | 'electedBy'>): void {
    events.emit({ type: 'relay.election_ignored', epoch: n.epoch, electedBy: n.electedBy, from: m.envelope.from, reason });
    record('election_ignored', n, { id: m.envelope.id, signed: m.auth !== 'none', detail: `${reason}; from ${m.envelope.from}` });
    logger.info('fleet: election announcement ignored', { reason, from: m.envelope.from, epoch: n.epoch });
  }

  return {
    get options() {
      return options();
    },

    probeRound: runProbeRound,

    evaluate,

    async tick() {
      const reports = await runProbeRound();
      const d = evaluate();
      // A peer that came back learns the election this node ran and still follows (it may have
      // missed the announcement: the outbox keeps it only for its TTL). A fresh election was just
      // announced to everyone.
      const state = readRouting(store);
      const back = reports.filter((r) => r.cameUp).map((r) => r.peer);
      if (d.kind !== 'elect' && d.kind !== 'return' && back.length > 0 && state.epoch > 0 && state.electedBy === self) {
        announce({ epoch: state.epoch, hub: state.hub, relay: state.relay, electedBy: self, at: state.electedAt ?? clock.now() }, back);
      }
    },

    nextDueAt: () => nextRoundAt ?? clock.now(),

    onInbound(m) {
      const n = electionNoticeOf(m.envelope.payload.metadata);
      if (n === null) return;
      if (n === 'malformed') {
        ignored(m, 'malformed', { epoch: 0, relay: null, hub: null, electedBy: m.envelope.from });
        return;
      }
      const now = clock.now();
      const state = readRouting(store);
      const j = judgeAnnouncement(state, n, {
        self, hub: options().hub, from: m.envelope.from, auth: m.auth, knows: (name) => deps.peers.get(name) !== null,
      }, now);
      if (j.state !== state) writeRouting(store, j.state, now);
      if (j.follow) {
        events.emit({ type: 'relay.elected', epoch: n.epoch, hub: n.hub, relay: n.relay, electedBy: n.electedBy, source: 'announcement' });
        record('relay_followed', n, { id: m.envelope.id, signed: true });
        logger.info('fleet: following election', { epoch: n.epoch, relay: n.relay, electedBy: n.electedBy });
        refreshRoutes();
      } else if (j.reason !== 'same') {
        ignored(m, j.reason, n);
      }
    },

    consumes: (envelope) => electionNoticeOf(envelope.payload.metadata) !== null,

    refreshRoutes,

    routing: () => readRouting(store),

    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

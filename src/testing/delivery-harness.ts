/**
 * A delivery service wired to an in-memory store, a scripted transport and a manual clock, plus a
 * static peer directory (self `alpha`, peers `beta` and `gamma`) and helpers to enqueue envelopes.
 */
import type { BreakerView } from '../delivery/circuit-breaker.ts';
import { createDeliveryService, type DeliveryService } from '../delivery/delivery-service.ts';
import type { DeliveryOptionsInput } from '../delivery/delivery-options.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import { silentLogger } from '../ports/logger.ts';
import type { PeerConfig, PeerDirectory } from '../ports/peers.ts';
import type { Router } from '../ports/routing.ts';
import type { AuditEntry, Store } from '../ports/store.ts';
import { buildEnvelope } from '../protocol/envelope.ts';
import type { MeshEvent } from '../protocol/events.ts';
import { wireTimestamp } from '../protocol/time.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { FakeTransport } from './fake-transport.ts';
import { ManualClock } from './manual-clock.ts';

export const PEER_TOKEN = 'secret-token-of-beta-0123456789';

export function testPeer(name: string, overrides: Partial<PeerConfig> = {}): PeerConfig {
  return {
    name, baseUrl: `http://${name}.test:18789`, token: name === 'beta' ? PEER_TOKEN : `secret-token-of-${name}`,
    role: 'worker', signing: 'hmac', encryption: 'none', publicKey: null, hookBasePath: '/hooks', transport: 'hook', ...overrides,
  };
}

/** A peer directory backed by a mutable map, so tests can remove a peer from the "registry". */
export class StaticPeers implements PeerDirectory {
  readonly byName = new Map<string, PeerConfig>();
  readonly #self: string;
  constructor(self: string, peers: readonly PeerConfig[]) {
    this.#self = self;
    for (const p of peers) this.byName.set(p.name, p);
  }
  self(): string {
    return this.#self;
  }
  get(name: string): PeerConfig | null {
    return this.byName.get(name) ?? null;
  }
  list(): PeerConfig[] {
    return [...this.byName.values()];
  }
  group(): string[] | null {
    return null;
  }
}

export interface EnqueueOptions {
  id?: string;
  ttlMs?: number;
  sessionKey?: string | null;
  signed?: boolean;
  encrypted?: boolean;
  subject?: string;
}

export interface DeliveryHarness {
  store: Store;
  clock: ManualClock;
  transport: FakeTransport;
  peers: StaticPeers;
  events: MeshEvent[];
  audit: AuditEntry[];
  service: DeliveryService;
  /** A second service on the same store: another process (CLI) next to the daemon. */
  newService(options?: DeliveryOptionsInput): DeliveryService;
  /** Writes an envelope to the outbox (due now) and returns its id. */
  enqueue(peer: string, o?: EnqueueOptions): string;
  eventsOf(type: MeshEvent['type']): MeshEvent[];
  /** The breaker of a peer (default beta) as the service sees it now. */
  breaker(peer?: string): BreakerView;
}

export function createDeliveryHarness(options: DeliveryOptionsInput = {}, store: Store = createMemoryStore(), extra: { router?: Router } = {}): DeliveryHarness {
  const clock = new ManualClock();
  const transport = new FakeTransport();
  const peers = new StaticPeers('alpha', [testPeer('beta'), testPeer('gamma')]);
  const events: MeshEvent[] = [];
  const audit: AuditEntry[] = [];
  const eventSink: EventSink = { emit: (e) => events.push(e) };
  const auditSink: AuditSink = { record: (a) => audit.push(a) };
  let seq = 0;
  const newService = (o: DeliveryOptionsInput = options): DeliveryService => createDeliveryService({
    store, transport, peers, clock, events: eventSink, audit: auditSink, logger: silentLogger, options: o,
    ...(extra.router === undefined ? {} : { router: extra.router }),
  });
  return {
    store, clock, transport, peers, events, audit,
    service: newService(),
    newService,
    enqueue(peer, o = {}) {
      seq++;
      const id = o.id ?? `msg_00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
      const now = clock.now();
      const env = buildEnvelope({
        id, timestamp: wireTimestamp(now), from: 'alpha', to: peer, type: 'notification',
        nonce: String(seq).padStart(32, '0'), body: `body ${seq}`, subject: o.subject ?? `subject ${seq}`,
        replyContext: o.sessionKey == null ? null : { sessionKey: o.sessionKey },
      });
      const full = {
        ...env,
        payload: o.encrypted === true ? { ...env.payload, encrypted: true as const } : env.payload,
        ...(o.signed === true ? { signature: `sha256:sig-${seq}` } : {}),
      };
      const ok = store.outbox.enqueue({
        id, peer, type: 'notification', envelope: JSON.stringify(full), sessionKey: o.sessionKey ?? null,
        createdAt: now, expiresAt: now + (o.ttlMs ?? 300_000), nextAttemptAt: now,
      });
      if (!ok) throw new Error(`duplicate id ${id}`);
      return id;
    },
    eventsOf: (type) => events.filter((e) => e.type === type),
    breaker(peer = 'beta') {
      return this.service.breaker.state(peer, clock.now());
    },
  };
}

/**
 * The alert de-duplication service on an in-memory store with a manual clock, seeded randomness,
 * recording event and audit sinks and a static registry: this node `alpha` at 10.0.0.1, peers `beta`
 * at 10.0.0.5 and `gamma` at 10.0.0.6 (and `delta` at 10.0.0.5 too, after beta: the first one wins).
 */
import { defaultAlertDedupRules, type AlertDedupDeps, type AlertDedupRules } from '../fleet/alert-dedup-deps.ts';
import { createAlertDedupService, type AlertDedupService } from '../fleet/alert-dedup-service.ts';
import type { AuditEntry, Store } from '../ports/store.ts';
import type { MeshEvent } from '../protocol/events.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { seededIds } from './conversation-harness.ts';
import { StaticPeers, testPeer } from './delivery-harness.ts';
import { ManualClock } from './manual-clock.ts';

export const MINUTE_MS = 60_000;

export interface AlertDedupHarness {
  store: Store;
  clock: ManualClock;
  events: MeshEvent[];
  audit: AuditEntry[];
  rules: AlertDedupRules;
  peers: StaticPeers;
  deps: AlertDedupDeps;
  service: AlertDedupService;
  /** `service.dedup` for a text (and options), returning the decision word. */
  word(text: string, opts?: { host?: string; check?: string; fallbackHost?: string }): string;
}

export function alertDedupHarness(rules: Partial<AlertDedupRules> = {}): AlertDedupHarness {
  const store = createMemoryStore();
  const clock = new ManualClock();
  const events: MeshEvent[] = [];
  const audit: AuditEntry[] = [];
  const ids = seededIds(7);
  const peers = new StaticPeers('alpha', [
    testPeer('alpha', { baseUrl: 'http://10.0.0.1:18789' }),
    testPeer('beta', { baseUrl: 'http://10.0.0.5:18789' }),
    testPeer('gamma', { baseUrl: 'http://10.0.0.6:18790' }),
    testPeer('delta', { baseUrl: 'http://10.0.0.5:18800' }),
  ]);
  const r: AlertDedupRules = { ...defaultAlertDedupRules(), ...rules };
  const deps: AlertDedupDeps = {
    store, peers, clock,
    events: { emit: (e) => events.push(e) },
    audit: { record: (a) => audit.push(a) },
    randomHex: (n) => ids.hex(n),
    rules: () => r,
  };
  const service = createAlertDedupService(deps);
  return {
    store, clock, events, audit, rules: r, peers, deps, service,
    word: (text, opts = {}) => service.dedup({ text, ...opts }).decision,
  };
}

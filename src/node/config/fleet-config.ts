/**
 * config/mesh.json `fleet`: alert de-duplication (docs/alert-dedup.md), peer health probes and relay
 * failover.
 */
import { defaultAlertDedupRules } from '../../fleet/alert-dedup-deps.ts';
import { isValidAgentName } from '../../protocol/names.ts';
import type { Obj, Reader } from './config-reader.ts';

const DAY_MS = 86_400_000;

export interface FleetConfig {
  dedupWindowMs: number;
  dedupEscalateAt: number;
  incidentQuietResolveMs: number;
  /** The daemon de-duplicates received `alert` messages before hand-off: one wake-up per incident. */
  dedupAlerts: boolean;
  /**
   * Peer health and relay failover. `hub`: null = the first registry agent with role "hub".
   * `relay`: null = forward relayed envelopes only when this node's role is relay, sre or hub.
   */
  probeIntervalMs: number; probeTimeoutMs: number; unreachableAfterFailures: number; latencySamples: number;
  electionHoldMs: number | null; announceTtlSeconds: number; hub: string | null; relay: boolean | null;
}

export const FLEET_KEYS = [
  'dedupWindowMs',
  'dedupEscalateAt',
  'incidentQuietResolveMs',
  'dedupAlerts',
  'probeIntervalMs',
  'probeTimeoutMs',
  'unreachableAfterFailures',
  'latencySamples',
  'electionHoldMs',
  'announceTtlSeconds',
  'hub',
  'relay',
] as const;

export function defaultFleetConfig(): FleetConfig {
  const dedup = defaultAlertDedupRules();
  return {
    dedupWindowMs: dedup.windowMs,
    dedupEscalateAt: dedup.escalateAt,
    incidentQuietResolveMs: dedup.quietResolveMs,
    dedupAlerts: false,
    probeIntervalMs: 30_000, probeTimeoutMs: 5_000, unreachableAfterFailures: 3, latencySamples: 20,
    electionHoldMs: null, announceTtlSeconds: 300, hub: null, relay: null,
  };
}

export function readFleetConfig(r: Reader, fl: Obj | null): FleetConfig {
  const d = defaultFleetConfig();
  const hub = fl?.['hub'];
  if (hub !== undefined && hub !== null && (typeof hub !== 'string' || !isValidAgentName(hub))) r.fail('fleet.hub', 'an agent name or null');
  const relay = fl?.['relay'];
  if (relay !== undefined && relay !== null && typeof relay !== 'boolean') r.fail('fleet.relay', 'true, false or null');
  const hold = fl?.['electionHoldMs'];
  const cfg: FleetConfig = {
    dedupWindowMs: r.int(fl, 'fleet', 'dedupWindowMs', d.dedupWindowMs, 1000, 7 * DAY_MS),
    dedupEscalateAt: r.int(fl, 'fleet', 'dedupEscalateAt', d.dedupEscalateAt, 2, 1000),
    incidentQuietResolveMs: r.int(fl, 'fleet', 'incidentQuietResolveMs', d.incidentQuietResolveMs, 60_000, 365 * DAY_MS),
    dedupAlerts: r.bool(fl, 'fleet', 'dedupAlerts', d.dedupAlerts),
    probeIntervalMs: r.int(fl, 'fleet', 'probeIntervalMs', d.probeIntervalMs, 100, 86_400_000),
    probeTimeoutMs: r.int(fl, 'fleet', 'probeTimeoutMs', d.probeTimeoutMs, 50, 600_000),
    unreachableAfterFailures: r.int(fl, 'fleet', 'unreachableAfterFailures', d.unreachableAfterFailures, 1, 1000),
    latencySamples: r.int(fl, 'fleet', 'latencySamples', d.latencySamples, 1, 1000),
    electionHoldMs: hold === undefined || hold === null ? null : r.int(fl, 'fleet', 'electionHoldMs', 0, 0, 86_400_000),
    announceTtlSeconds: r.int(fl, 'fleet', 'announceTtlSeconds', d.announceTtlSeconds, 60, 86_400),
    hub: typeof hub === 'string' ? hub : null,
    relay: typeof relay === 'boolean' ? relay : null,
  };
  if (cfg.incidentQuietResolveMs < cfg.dedupWindowMs) {
    r.fail('fleet.incidentQuietResolveMs', `at least fleet.dedupWindowMs (${cfg.dedupWindowMs})`);
  }
  return cfg;
}

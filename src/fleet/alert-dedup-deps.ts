/**
 * What alert de-duplication needs (ports only) and its rules' settings (config/mesh.json `fleet`,
 * validated by the node; docs/alert-dedup.md defines them).
 */
import type { Clock } from '../ports/clock.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { PeerDirectory } from '../ports/peers.ts';
import type { Store } from '../ports/store.ts';

/** 30 minutes: bash's DEDUP_WINDOW. */
export const DEFAULT_DEDUP_WINDOW_MS = 1_800_000;
/** The README's rule: the third occurrence within a window escalates. */
export const DEFAULT_DEDUP_ESCALATE_AT = 3;
/** An incident with no alert for 7 days is over (resolved `quiet`); the next alert opens a new one. */
export const DEFAULT_INCIDENT_QUIET_RESOLVE_MS = 7 * 86_400_000;

export interface AlertDedupRules {
  /** How long after a notification (`new` or `escalate`) further alerts of the incident are suppressed. */
  windowMs: number;
  /** The occurrence within a window (counting the one that notified) that escalates; at least 2. */
  escalateAt: number;
  /** No alert for this long resolves an active incident (`quiet`); at least windowMs. */
  quietResolveMs: number;
}

export const defaultAlertDedupRules = (): AlertDedupRules => ({
  windowMs: DEFAULT_DEDUP_WINDOW_MS,
  escalateAt: DEFAULT_DEDUP_ESCALATE_AT,
  quietResolveMs: DEFAULT_INCIDENT_QUIET_RESOLVE_MS,
});

export interface AlertDedupDeps {
  store: Pick<Store, 'incidents' | 'transaction'>;
  /** The registry: maps an address in an alert text to the agent there. */
  peers: PeerDirectory;
  clock: Clock;
  events: EventSink;
  audit: AuditSink;
  /** Lowercase hex of n random bytes (incident id suffixes). */
  randomHex: (bytes: number) => string;
  /** Read per alert: the settings follow config/mesh.json as it changes. */
  rules: () => AlertDedupRules;
}

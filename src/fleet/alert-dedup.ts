/**
 * Alert de-duplication: one decision per alert (`new | suppressed | escalate | recovery`) and the
 * incident it is counted in. docs/alert-dedup.md is the contract; in short, per incident (one active
 * incident per `<host>/<check>`):
 *
 * - The first alert opens the incident: `new`. Every notification (`new` or `escalate`) starts a
 *   window of `windowMs`.
 * - Within the window, alerts are `suppressed`, except the `escalateAt`-th alert of the window
 *   (counting the one that notified), which is `escalate` if the incident has not escalated yet; the
 *   escalation starts a new window.
 * - The first alert after the window ends notifies again: `new`, or `escalate` for an incident that
 *   has escalated. So a steady stream notifies once per window instead of staying quiet forever (bash
 *   measured the window from the last alert, so a stream less than 30 min apart never notified again).
 * - A recovery text resolves the active incident: `recovery`. With no active incident there is
 *   nothing to recover: `suppressed`.
 * - An active incident with no alert for `quietResolveMs` is resolved `quiet` when it is next looked at.
 *
 * `decideAlert` is the pure rule; `recordAlert` applies it in one store transaction, with events.
 */
import type { AlertDecision, IncidentResolution } from '../protocol/alerts.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { AuditEntry, IncidentRecord } from '../ports/store.ts';
import type { AlertDedupDeps, AlertDedupRules } from './alert-dedup-deps.ts';
import { ALERT_KEY_PART_RE, UNKNOWN, alertSummary, inferCheck, inferHost, isRecoveryText } from './alert-inference.ts';
import { incidentId } from './incident-id.ts';

/** One alert, its host and check already known. */
export interface AlertObservation {
  at: number;
  host: string;
  check: string;
  recovery: boolean;
  summary: string;
}

export interface AlertStep {
  decision: AlertDecision;
  /** The incident after this alert; null for a recovery with no active incident. */
  incident: IncidentRecord | null;
  /** Whether `incident` was opened by this alert. */
  opened: boolean;
  /** The previous incident of the key, resolved `quiet` because it had been silent too long. */
  quietResolved: IncidentRecord | null;
}

export const dedupKeyOf = (host: string, check: string): string => `${host}/${check}`;

export function isQuiet(i: IncidentRecord, now: number, rules: AlertDedupRules): boolean {
  return i.status === 'active' && now - i.lastSeen >= rules.quietResolveMs;
}

export function resolved(i: IncidentRecord, at: number, by: IncidentResolution): IncidentRecord {
  return { ...i, status: 'resolved', resolvedAt: Math.max(at, i.lastSeen), resolvedBy: by };
}

/** When a silent incident counts as resolved: the moment it had been silent for quietResolveMs. */
export const quietSince = (i: IncidentRecord, rules: AlertDedupRules): number => i.lastSeen + rules.quietResolveMs;

function opened(o: AlertObservation, id: string): IncidentRecord {
  const key = dedupKeyOf(o.host, o.check);
  return {
    id, dedupKey: key, type: 'service_alert', scope: key, host: o.host, check: o.check, summary: o.summary,
    status: 'active', firstSeen: o.at, lastSeen: o.at, alertCount: 1, affectedHosts: [o.host], escalated: false,
    lastNotifiedAt: o.at, windowCount: 1, notifications: 1, resolvedAt: null, resolvedBy: null,
  };
}

/**
 * The decision for one alert given the active incident of its key (or null). Time may run backwards
 * between processes: an alert stamped before the window started counts as inside it.
 */
export function decideAlert(current: IncidentRecord | null, o: AlertObservation, rules: AlertDedupRules, newId: () => string): AlertStep {
  const quiet = current !== null && isQuiet(current, o.at, rules) ? resolved(current, quietSince(current, rules), 'quiet') : null;
  const active = quiet === null ? current : null;
  if (o.recovery) {
    if (active === null) return { decision: 'suppressed', incident: null, opened: false, quietResolved: quiet };
    const seen = { ...active, lastSeen: Math.max(active.lastSeen, o.at), alertCount: active.alertCount + 1 };
    return { decision: 'recovery', incident: resolved(seen, o.at, 'recovery'), opened: false, quietResolved: quiet };
  }
  if (active === null) return { decision: 'new', incident: opened(o, newId()), opened: true, quietResolved: quiet };

  const seen = { ...active, lastSeen: Math.max(active.lastSeen, o.at), alertCount: active.alertCount + 1 };
  const notify = (decision: 'new' | 'escalate'): AlertStep => ({
    decision,
    incident: {
      ...seen, escalated: seen.escalated || decision === 'escalate', lastNotifiedAt: o.at, windowCount: 1,
      notifications: seen.notifications + 1,
    },
    opened: false,
    quietResolved: null,
  });
  if (o.at - active.lastNotifiedAt >= rules.windowMs) return notify(active.escalated ? 'escalate' : 'new');
  const windowCount = active.windowCount + 1;
  if (!active.escalated && windowCount >= rules.escalateAt) return notify('escalate');
  return { decision: 'suppressed', incident: { ...seen, windowCount }, opened: false, quietResolved: null };
}

export interface AlertInput {
  text: string;
  /** Explicit host (`--host`); validated. Otherwise inferred from the text. */
  host?: string | undefined;
  /** Explicit check (`--check`); validated. Otherwise inferred from the text. */
  check?: string | undefined;
  /** The host when neither `host` nor an address in the text names one (default "unknown", bash's). */
  fallbackHost?: string | undefined;
  /** When the alert happened (default: the clock). */
  at?: number | undefined;
}

export interface AlertResult extends AlertStep {
  host: string;
  check: string;
  /** The text read as a recovery. */
  recovery: boolean;
}

function keyPart(value: string, what: 'host' | 'check'): string {
  if (!ALERT_KEY_PART_RE.test(value)) {
    throw new MeshError(MeshErrorCode.InvalidArgument,
      `invalid ${what} ${JSON.stringify(value.slice(0, 80))}: use letters, digits, '.', '_' or '-' (at most 64, not starting with '.' or '-')`,
      { details: { field: what } });
  }
  return value;
}

/** The registry agent whose address is `ip` (this node included), first in registry order. */
function agentAt(deps: AlertDedupDeps, ip: string): string | null {
  const self = deps.peers.get(deps.peers.self());
  for (const p of self === null ? deps.peers.list() : [self, ...deps.peers.list()]) {
    try {
      if (new URL(p.baseUrl).hostname === ip) return p.name;
    } catch {
      // An entry without a usable URL names no address.
    }
  }
  return null;
}

/** The audit entry of a notification or a resolution (suppressed alerts are in the event log only). */
function auditOf(deps: AlertDedupDeps, i: IncidentRecord, status: string, detail: string): AuditEntry {
  return {
    ts: deps.clock.now(), direction: 'local', status, id: i.id, from: null, to: null, type: null, subject: null,
    correlationId: null, conversationId: null, signed: false, encrypted: false, detail: `${i.scope}: ${detail}`,
  };
}

export function recordResolution(deps: AlertDedupDeps, i: IncidentRecord): void {
  deps.store.incidents.put(i);
  const by = i.resolvedBy ?? 'operator';
  deps.events.emit({ type: 'incident.resolved', incidentId: i.id, host: i.host, check: i.check, by, alertCount: i.alertCount });
  deps.audit.record(auditOf(deps, i, 'incident_resolved', `resolved (${by}) after ${i.alertCount} alert(s)`));
}

function recordStep(deps: AlertDedupDeps, decision: AlertDecision, i: IncidentRecord, isNew: boolean): void {
  if (i.status === 'resolved' || decision === 'recovery') {
    recordResolution(deps, i);
    return;
  }
  deps.store.incidents.put(i);
  if (isNew) {
    deps.events.emit({ type: 'incident.opened', incidentId: i.id, host: i.host, check: i.check });
    deps.audit.record(auditOf(deps, i, 'incident_opened', 'opened'));
    return;
  }
  deps.events.emit({
    type: 'incident.updated', incidentId: i.id, decision, alertCount: i.alertCount, windowCount: i.windowCount, escalated: i.escalated,
  });
  if (decision !== 'suppressed') {
    deps.audit.record(auditOf(deps, i, decision === 'escalate' ? 'incident_escalated' : 'incident_notified',
      `${decision}, alert ${i.alertCount}, notification ${i.notifications}`));
  }
}

/**
 * Decides one alert and records it: the incident row, an event, and an audit entry for a notification
 * or a resolution, in one transaction (concurrent `mesh dedup` runs see each other's alerts).
 * Throws INVALID_ARGUMENT for an invalid explicit host or check.
 */
export function recordAlert(deps: AlertDedupDeps, input: AlertInput): AlertResult {
  const host = input.host !== undefined ? keyPart(input.host, 'host')
    : inferHost(input.text, (ip) => agentAt(deps, ip), input.fallbackHost ?? UNKNOWN);
  const check = input.check !== undefined ? keyPart(input.check, 'check') : inferCheck(input.text);
  const recovery = isRecoveryText(input.text);
  const obs: AlertObservation = { at: input.at ?? deps.clock.now(), host, check, recovery, summary: alertSummary(input.text) };
  const rules = deps.rules();
  return deps.store.transaction(() => {
    const step = decideAlert(deps.store.incidents.findActive(dedupKeyOf(host, check)), obs, rules,
      () => incidentId(obs.at, host, check, deps.randomHex));
    if (step.quietResolved !== null) recordResolution(deps, step.quietResolved);
    if (step.incident !== null) recordStep(deps, step.decision, step.incident, step.opened);
    return { ...step, host, check, recovery };
  });
}

/**
 * The alert de-duplication service (ARCHITECTURE.md §3, fleet/): decisions for alerts and the
 * incidents they make. Ports only; node/node-alerts.ts wires it. docs/alert-dedup.md is the contract.
 */
import type { IncidentRecord } from '../ports/store.ts';
import type { AlertDedupDeps } from './alert-dedup-deps.ts';
import { recordAlert, type AlertInput, type AlertResult } from './alert-dedup.ts';
import { incidentHousekeeping, listIncidents, resolveIncident, type IncidentHousekeeping } from './incidents.ts';

export interface AlertDedupService {
  /** Decides one alert and records it (see alert-dedup.ts). Throws INVALID_ARGUMENT for a bad explicit host/check. */
  dedup(input: AlertInput): AlertResult;
  list(opts?: { all?: boolean }): IncidentRecord[];
  resolve(id: string): { incident: IncidentRecord; changed: boolean };
  housekeeping(now: number, pruneBefore: number): IncidentHousekeeping;
}

export function createAlertDedupService(deps: AlertDedupDeps): AlertDedupService {
  return {
    dedup: (input) => recordAlert(deps, input),
    list: (opts) => listIncidents(deps, opts),
    resolve: (id) => resolveIncident(deps, id),
    housekeeping: (now, pruneBefore) => incidentHousekeeping(deps, now, pruneBefore),
  };
}

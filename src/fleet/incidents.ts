/**
 * Incidents outside the alert path: listing, an operator's resolution (`mesh incidents resolve`),
 * and the daemon's housekeeping (silent incidents resolved `quiet`, resolved ones pruned).
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { IncidentRecord } from '../ports/store.ts';
import type { AlertDedupDeps } from './alert-dedup-deps.ts';
import { isQuiet, quietSince, recordResolution, resolved } from './alert-dedup.ts';

/** Active incidents, or all kept ones with `all`; oldest first. */
export function listIncidents(deps: AlertDedupDeps, opts: { all?: boolean } = {}): IncidentRecord[] {
  return deps.store.incidents.list(opts.all === true ? {} : { status: 'active' });
}

/**
 * Resolves an active incident by hand. Resolving a resolved one changes nothing (`changed: false`).
 * Throws NOT_FOUND for an unknown id.
 */
export function resolveIncident(deps: AlertDedupDeps, id: string): { incident: IncidentRecord; changed: boolean } {
  return deps.store.transaction(() => {
    const i = deps.store.incidents.get(id);
    if (i === null) {
      throw new MeshError(MeshErrorCode.NotFound, `no incident "${id.slice(0, 120)}" (see mesh incidents --all)`, { details: { id: id.slice(0, 120) } });
    }
    if (i.status === 'resolved') return { incident: i, changed: false };
    const done = resolved(i, deps.clock.now(), 'operator');
    recordResolution(deps, done);
    return { incident: done, changed: true };
  });
}

export interface IncidentHousekeeping {
  /** Active incidents resolved because no alert came for `quietResolveMs`. */
  quiet: number;
  /** Resolved incidents deleted (resolved before the retention cut-off). */
  pruned: number;
}

/** Resolves silent incidents as of `now` and deletes those resolved before `pruneBefore`. */
export function incidentHousekeeping(deps: AlertDedupDeps, now: number, pruneBefore: number): IncidentHousekeeping {
  const rules = deps.rules();
  return deps.store.transaction(() => {
    const silent = deps.store.incidents.list({ status: 'active' }).filter((i) => isQuiet(i, now, rules));
    for (const i of silent) recordResolution(deps, resolved(i, quietSince(i, rules), 'quiet'));
    return { quiet: silent.length, pruned: deps.store.incidents.pruneResolved(pruneBefore) };
  });
}

/**
 * The vocabulary of alert de-duplication (docs/alert-dedup.md), shared by the fleet service, the
 * store port, the agent hand-off and the CLI. `mesh dedup` prints exactly one decision word, so
 * scripts can `case` on it (bash mesh-dedup.sh's contract).
 */

/** What to do with one alert: notify (`new`), stay quiet (`suppressed`), escalate, or tell it recovered. */
export const ALERT_DECISIONS = ['new', 'suppressed', 'escalate', 'recovery'] as const;
export type AlertDecision = (typeof ALERT_DECISIONS)[number];

export const isAlertDecision = (v: unknown): v is AlertDecision => (ALERT_DECISIONS as readonly unknown[]).includes(v);

/**
 * Why an incident was resolved: a recovery text, an operator (`mesh incidents resolve`), or no alert
 * for `fleet.incidentQuietResolveMs` (the problem went away without anyone saying so).
 */
export const INCIDENT_RESOLUTIONS = ['recovery', 'operator', 'quiet'] as const;
export type IncidentResolution = (typeof INCIDENT_RESOLUTIONS)[number];

/**
 * Schema version 4: alert de-duplication (docs/alert-dedup.md). Incidents learn their host and check,
 * the alert that opened them, the notification window (when the operator was last told, and how
 * many alerts came since), and why they were resolved; resolved ones are pruned by resolved_at.
 * An inbox row of an alert the daemon de-duplicated keeps the decision and its incident.
 */
export const migration0004Incidents = `
ALTER TABLE incidents ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN check_name TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN last_notified_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN window_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN notifications INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN resolved_by TEXT CHECK (resolved_by IN ('recovery', 'operator', 'quiet'));
CREATE INDEX incidents_resolved ON incidents (resolved_at) WHERE status = 'resolved';

ALTER TABLE inbox ADD COLUMN alert_decision TEXT CHECK (alert_decision IN ('new', 'suppressed', 'escalate', 'recovery'));
ALTER TABLE inbox ADD COLUMN incident_id TEXT;
`;

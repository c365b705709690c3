/**
 * Incident ids keep bash's `inc_<YYYYMMDD>_<host>_<check>` prefix (bash-mesh-behavior.md §9), which
 * collided when an incident came back the same day, and add 8 random hex digits. The date is the UTC
 * day of the incident's first alert (bash used the local day).
 */
export const INCIDENT_ID_RE = /^inc_\d{8}_[A-Za-z0-9._-]{1,64}_[A-Za-z0-9._-]{1,64}_[0-9a-f]{8}$/;

export function incidentId(firstSeen: number, host: string, check: string, randomHex: (bytes: number) => string): string {
  const day = new Date(firstSeen).toISOString().slice(0, 10).replaceAll('-', '');
  return `inc_${day}_${host}_${check}_${randomHex(4)}`;
}

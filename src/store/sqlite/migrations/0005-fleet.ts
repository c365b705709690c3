/**
 * Schema version 4: what the fleet prober keeps per peer beside the bash-era columns: the latencies
 * of the recent reachable probes (JSON array of ms, oldest first; the median and p95 are computed from
 * it) and the features the peer's health answer advertised (JSON array of strings; NULL = the peer
 * never answered).
 */
export const migration0005Fleet = `
ALTER TABLE peer_health ADD COLUMN latency_samples TEXT NOT NULL DEFAULT '[]';
ALTER TABLE peer_health ADD COLUMN features TEXT;
`;

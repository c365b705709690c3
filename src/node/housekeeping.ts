/**
 * Periodic clean-up run by the daemon: retention of audit, events, inbox and delivered outbox rows,
 * replay-protection nonces, audit-mirror rotation, expired served files, expired collaborative
 * sessions, and incidents (silent ones resolved `quiet`, resolved ones pruned after
 * retention.incidentsDays).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SERVED_FILE_KEY_PREFIX } from './attachments.ts';
import type { MeshNode } from './mesh-node.ts';
import { alertsOf } from './node-alerts.ts';
import { sessionsOf } from './node-sessions.ts';

const DAY_MS = 86_400_000;

export interface HousekeepingReport {
  nonces: number;
  delivered: number;
  audit: number;
  events: number;
  inbox: number;
  files: number;
  incidentsQuiet: number;
  incidentsPruned: number;
  /** Collaborative sessions deleted after the session TTL without a message. */
  sessions: number;
  /** Finished A2A tasks (and their stream events) older than the inbox retention. */
  a2aTasks: number;
}

export function runHousekeeping(node: MeshNode): HousekeepingReport {
  const now = node.clock.now();
  const r = node.config.retention;
  const s = node.store;
  const report: HousekeepingReport = {
    nonces: s.nonces.prune(now),
    delivered: s.outbox.pruneDelivered(now - r.deliveredDays * DAY_MS),
    audit: s.audit.prune(now - r.auditDays * DAY_MS),
    events: s.events.prune(now - r.eventsDays * DAY_MS),
    inbox: s.inbox.prune(now - r.inboxDays * DAY_MS),
    files: 0,
    incidentsQuiet: 0,
    incidentsPruned: 0,
    sessions: sessionsOf(node).cleanup().length,
    a2aTasks: s.a2aTasks.prune(now - r.inboxDays * DAY_MS),
  };
  const incidents = alertsOf(node).housekeeping(now, now - r.incidentsDays * DAY_MS);
  report.incidentsQuiet = incidents.quiet;
  report.incidentsPruned = incidents.pruned;
  node.audit.rotateIfLarge();
  const dir = node.layout.filesDir;
  if (existsSync(dir)) {
    for (const token of readdirSync(dir)) {
      const meta = s.kv.get(`${SERVED_FILE_KEY_PREFIX}${token}`) as { expiresAt?: number } | null;
      if (meta === null || typeof meta.expiresAt !== 'number' || meta.expiresAt <= now) {
        rmSync(join(dir, token), { recursive: true, force: true });
        s.kv.delete(`${SERVED_FILE_KEY_PREFIX}${token}`);
        report.files++;
      }
    }
  }
  return report;
}

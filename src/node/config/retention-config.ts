/** config/mesh.json `retention`: how many days housekeeping keeps each kind of record. */
import type { Obj, Reader } from './config-reader.ts';

export interface RetentionConfig { auditDays: number; deliveredDays: number; inboxDays: number; eventsDays: number; incidentsDays: number }

export const RETENTION_KEYS = ['auditDays', 'deliveredDays', 'inboxDays', 'eventsDays', 'incidentsDays'] as const;

export function defaultRetentionConfig(): RetentionConfig {
  return { auditDays: 30, deliveredDays: 7, inboxDays: 30, eventsDays: 7, incidentsDays: 30 };
}

export function readRetentionConfig(r: Reader, rt: Obj | null): RetentionConfig {
  const d = defaultRetentionConfig();
  return {
    auditDays: r.int(rt, 'retention', 'auditDays', d.auditDays, 1, 3650),
    deliveredDays: r.int(rt, 'retention', 'deliveredDays', d.deliveredDays, 1, 3650),
    inboxDays: r.int(rt, 'retention', 'inboxDays', d.inboxDays, 1, 3650),
    eventsDays: r.int(rt, 'retention', 'eventsDays', d.eventsDays, 1, 3650),
    incidentsDays: r.int(rt, 'retention', 'incidentsDays', d.incidentsDays, 1, 3650),
  };
}

import type { MeshEvent } from '../protocol/events.ts';
import type { AuditEntry } from './store.ts';

/** Where services publish events (persisted to the event log and fanned out to live listeners). */
export interface EventSink {
  emit(event: MeshEvent): void;
}

/** Where services record audit entries (the store's audit table, mirrored to logs/mesh-audit.jsonl). */
export interface AuditSink {
  record(entry: AuditEntry): void;
}

export const nullEventSink: EventSink = { emit() {} };
export const nullAuditSink: AuditSink = { record() {} };

/**
 * The event log part of the Store port: the one ordered stream every change is appended to.
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and callers group calls with `Store.transaction`.
 */
import type { JsonValue } from '../protocol/json.ts';

export interface MeshEventRecord {
  /** Monotonic, gap-free per store (SSE `id:`; resume with Last-Event-ID). */
  seq: number;
  ts: number;
  type: string;
  data: JsonValue;
}

export interface EventLog {
  append(type: string, data: JsonValue, ts: number): number;
  /** Events with seq > afterSeq, ascending. */
  after(afterSeq: number, limit?: number): MeshEventRecord[];
  latestSeq(): number;
  prune(before: number): number;
}

import { toPlain } from '../../protocol/json.ts';
import type { JsonValue } from '../../protocol/json.ts';

/** JSON columns are TEXT. Maps become plain objects: stored state is for logic, never for wire bytes. */
export function jsonText(v: JsonValue): string {
  return JSON.stringify(toPlain(v));
}

export function parseJsonText(s: string): JsonValue {
  return JSON.parse(s) as JsonValue;
}

export function stringArrayText(v: readonly string[]): string {
  return JSON.stringify(v);
}

export function parseStringArray(s: string): string[] {
  const v: unknown = JSON.parse(s);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** SQLite LIMIT: -1 means "no limit"; negative or fractional input is clamped. */
export function sqlLimit(limit: number | undefined): number {
  return limit === undefined ? -1 : Math.max(0, Math.floor(limit));
}

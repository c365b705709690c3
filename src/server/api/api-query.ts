/** Query parameters of the local API, validated with limits; a bad one is 400 invalid_request naming it. */
import type { Context } from 'hono';
import { ApiCode, ApiFailure } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';

/** Longest query value read at all. */
export const MAX_QUERY_VALUE_CHARS = 1000;

function bad(name: string, want: string): ApiFailure {
  return new ApiFailure(ApiCode.InvalidRequest, `query parameter "${name}" must be ${want}`);
}

export function queryText(c: Context<ApiEnv>, name: string, maxChars = MAX_QUERY_VALUE_CHARS): string | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === '') return undefined;
  if (v.length > maxChars) throw bad(name, `at most ${maxChars} characters`);
  return v;
}

export function queryMatching(c: Context<ApiEnv>, name: string, re: RegExp, want: string): string | undefined {
  const v = queryText(c, name);
  if (v !== undefined && !re.test(v)) throw bad(name, want);
  return v;
}

export function queryInt(c: Context<ApiEnv>, name: string, min: number, max: number): number | undefined {
  const v = queryText(c, name, 20);
  if (v === undefined) return undefined;
  const n = /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(name, `a whole number ${min}..${max}`);
  return n;
}

export function queryBool(c: Context<ApiEnv>, name: string): boolean | undefined {
  const v = queryText(c, name, 10)?.toLowerCase();
  if (v === undefined) return undefined;
  if (['1', 'true', 'yes'].includes(v)) return true;
  if (['0', 'false', 'no'].includes(v)) return false;
  throw bad(name, '1/true/yes or 0/false/no');
}

const RELATIVE_RE = /^(\d{1,6})([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time: epoch milliseconds, an ISO date (`2026-01-31`, midnight UTC) or date-time, or a
 * duration before now (`90s`, `30m`, `48h`, `7d`).
 */
export function queryTime(c: Context<ApiEnv>, name: string, now: number): number | undefined {
  const v = queryText(c, name, 40);
  if (v === undefined) return undefined;
  const rel = RELATIVE_RE.exec(v);
  if (rel !== null) return now - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number);
  if (/^\d{10,15}$/.test(v)) return Number(v);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (Number.isFinite(t)) return t;
  }
  throw bad(name, 'epoch milliseconds, an ISO date or date-time, or a duration like 48h');
}

/** A comma-separated list of items matching `re` (at most `max` items). */
export function queryList(c: Context<ApiEnv>, name: string, re: RegExp, max: number, want: string): string[] | undefined {
  const v = queryText(c, name);
  if (v === undefined) return undefined;
  const items = [...new Set(v.split(',').map((x) => x.trim()).filter((x) => x !== ''))];
  if (items.length === 0 || items.length > max || !items.every((x) => re.test(x))) throw bad(name, want);
  return items;
}

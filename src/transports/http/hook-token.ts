/**
 * Hook token extraction and comparison, as OpenClaw gateways do it (openclaw-hooks.md §2):
 * a non-empty `Authorization: Bearer <t>` (scheme case-insensitive) wins, else `x-openclaw-token`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER_RE = /^bearer\s+(.+)$/i;

export function extractHookToken(authorization: string | undefined, openclawToken: string | undefined): string | null {
  const m = authorization === undefined ? null : BEARER_RE.exec(authorization.trim());
  const bearer = m?.[1]?.trim();
  if (bearer !== undefined && bearer !== '') return bearer;
  const alt = openclawToken?.trim();
  return alt !== undefined && alt !== '' ? alt : null;
}

/**
 * Constant-time equality. Both sides are hashed first so neither the comparison nor an early length
 * check reveals how long the expected token is.
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

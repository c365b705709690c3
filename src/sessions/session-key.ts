/**
 * Session keys come from peers (`session.key` of an envelope) and from the command line. They are
 * only ever stored and printed, never made into paths (bash made them file names, replacing every
 * character outside [A-Za-z0-9._-] with `_`, so two keys could share a file); still they are bounded
 * and printable: a key starts with a letter or digit and holds letters, digits and `._:@+=/-`, at most
 * 128 characters. That covers bash's `collab-<epoch>-<6 hex>` and OpenClaw-style `agent:main:…` keys.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

const SESSION_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}$/;

export function isValidSessionKey(key: unknown): key is string {
  return typeof key === 'string' && SESSION_KEY_RE.test(key);
}

export function assertSessionKey(key: unknown): string {
  if (isValidSessionKey(key)) return key;
  const shown = typeof key === 'string' ? JSON.stringify(key.slice(0, 80)) : typeof key;
  throw new MeshError(
    MeshErrorCode.InvalidArgument,
    `invalid session key ${shown}: start with a letter or digit, then letters, digits or ._:@+=/- (at most 128 characters)`,
    { details: { field: 'key' } },
  );
}

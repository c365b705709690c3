/**
 * Agent, group and key names. A name taken from a message becomes part of a file path (key files)
 * and a URL path, so it is validated before use: letters, digits, '_' and '-', starting with a
 * letter or '_', at most 64 characters. bash MESH can only address jq identifiers
 * ([A-Za-z_][A-Za-z0-9_]*): `isBashCompatibleName` tells when to warn.
 */
import { MeshError, MeshErrorCode } from './errors.ts';

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const BASH_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
// The last three would shadow or replace Object.prototype members where names are object keys.
const RESERVED = new Set(['all', 'agent', 'wake', 'fleet', '__proto__', 'constructor', 'prototype']);

export function isValidAgentName(name: string): boolean {
  return NAME_RE.test(name) && !RESERVED.has(name);
}

export function isBashCompatibleName(name: string): boolean {
  return BASH_NAME_RE.test(name);
}

/** Throws MeshError(INVALID_NAME) unless `name` is a valid agent name. `what` names the field in the message. */
export function assertAgentName(name: unknown, what = 'agent name'): string {
  if (typeof name !== 'string' || !isValidAgentName(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name;
    throw new MeshError(
      MeshErrorCode.InvalidName,
      `invalid ${what} ${shown}: use letters, digits, '_' or '-', start with a letter or '_', at most 64 characters` +
        ` (reserved: ${[...RESERVED].join(', ')})`,
      { details: { field: what } },
    );
  }
  return name;
}

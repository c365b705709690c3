/**
 * Where keys live under a node home folder (the bash layout, bash-mesh-behavior.md §1.5, §3.4, §5):
 *   config/signing-keys/<peer>.key        HMAC key shared with <peer>
 *   config/encryption-keys/<peer>.key     body encryption key for <peer>
 *   config/encryption-keys/fleet.key      fallback encryption key for every peer
 *   config/identity-ed25519.key / .pub    this node's Ed25519 identity (MESH-TS)
 * A peer name may come from an untrusted envelope (`from`), so it is validated with assertAgentName
 * before it becomes part of a path; `fleet` is accepted only as an encryption key name.
 */
import { join } from 'node:path';
import { assertAgentName } from '../protocol/names.ts';

export const SIGNING_KEY_DIR = join('config', 'signing-keys');
export const ENCRYPTION_KEY_DIR = join('config', 'encryption-keys');
export const IDENTITY_PRIVATE_FILE = join('config', 'identity-ed25519.key');
export const IDENTITY_PUBLIC_FILE = join('config', 'identity-ed25519.pub');
export const FLEET_KEY_NAME = 'fleet';
const KEY_SUFFIX = '.key';

export function signingKeyDir(home: string): string {
  return join(home, SIGNING_KEY_DIR);
}

export function encryptionKeyDir(home: string): string {
  return join(home, ENCRYPTION_KEY_DIR);
}

/** config/signing-keys/<peer>.key; MeshError(INVALID_NAME) for a name that is not a valid agent name. */
export function signingKeyPath(home: string, peer: string): string {
  return join(signingKeyDir(home), assertAgentName(peer, 'peer name') + KEY_SUFFIX);
}

/** config/encryption-keys/<name>.key, where name is a valid agent name or 'fleet'. */
export function encryptionKeyPath(home: string, name: string): string {
  const file = name === FLEET_KEY_NAME ? FLEET_KEY_NAME : assertAgentName(name, 'peer name');
  return join(encryptionKeyDir(home), file + KEY_SUFFIX);
}

export interface IdentityPaths {
  privateKey: string;
  publicKey: string;
}

export function identityPaths(home: string): IdentityPaths {
  return { privateKey: join(home, IDENTITY_PRIVATE_FILE), publicKey: join(home, IDENTITY_PUBLIC_FILE) };
}

/**
 * A read-only report of which keys a node holds, for `mesh keygen --status` and `mesh crypt status`.
 * It never returns key text: only paths, presence, file modes and the format class.
 */
import { isValidAgentName } from '../protocol/names.ts';
import { publicKeyFromPrivate } from './ed25519.ts';
import { encryptionKeyPath, FLEET_KEY_NAME, identityPaths, signingKeyPath } from './key-paths.ts';
import { isHexKey, stripKeyWhitespace } from './key-text.ts';
import { fileMode, readSecretFile } from './secret-file.ts';

export interface KeyFileInfo {
  path: string;
  exists: boolean;
  /** Permission bits (e.g. 0o600), null when missing. */
  mode: number | null;
  /** False when group or others may access the file. */
  privateMode: boolean;
  /**
   * 'hex64' = 64 hex characters (usable by every scheme); 'text' = other key text (HMAC/CBC only);
   * 'ed25519' = a valid identity private key; null when missing.
   */
  format: 'hex64' | 'text' | 'ed25519' | 'empty' | 'unreadable' | null;
}

export interface PeerKeyStatus {
  peer: string;
  /** False for names that cannot be agents; no file is looked at for them. */
  validName: boolean;
  signing: KeyFileInfo | null;
  /** The peer's own encryption key file. */
  encryption: KeyFileInfo | null;
  /** Which file FileKeyStore.encryptionKey would use; null when none is usable (missing or broken). */
  encryptionSource: 'peer' | 'fleet' | null;
}

export interface KeyStatusReport {
  peers: PeerKeyStatus[];
  fleet: KeyFileInfo;
  identity: KeyFileInfo & { publicKey: string | null };
}

function inspect(path: string): KeyFileInfo {
  const mode = fileMode(path);
  if (mode === null) return { path, exists: false, mode: null, privateMode: true, format: null };
  let format: KeyFileInfo['format'];
  try {
    const key = stripKeyWhitespace(readSecretFile(path) ?? '');
    format = key === '' ? 'empty' : isHexKey(key) ? 'hex64' : 'text';
  } catch {
    format = 'unreadable';
  }
  return { path, exists: true, mode, privateMode: (mode & 0o077) === 0, format };
}

const usable = (info: KeyFileInfo): boolean => info.format === 'hex64' || info.format === 'text';

export function keyStatus(home: string, peers: readonly string[]): KeyStatusReport {
  const fleet = inspect(encryptionKeyPath(home, FLEET_KEY_NAME));
  const rows = peers.map((peer): PeerKeyStatus => {
    if (!isValidAgentName(peer)) {
      return { peer, validName: false, signing: null, encryption: null, encryptionSource: null };
    }
    const signing = inspect(signingKeyPath(home, peer));
    const encryption = inspect(encryptionKeyPath(home, peer));
    // Mirrors FileKeyStore: a broken peer file is an error there, not a fallback to fleet.key.
    const encryptionSource = encryption.exists ? (usable(encryption) ? 'peer' : null) : usable(fleet) ? 'fleet' : null;
    return { peer, validName: true, signing, encryption, encryptionSource };
  });
  const paths = identityPaths(home);
  const idInfo = inspect(paths.privateKey);
  let publicKey: string | null = null;
  if (idInfo.exists) {
    try {
      publicKey = publicKeyFromPrivate((readSecretFile(paths.privateKey) ?? '').trim());
      idInfo.format = 'ed25519';
    } catch {
      idInfo.format = 'unreadable';
    }
  }
  return { peers: rows, fleet, identity: { ...idInfo, publicKey } };
}

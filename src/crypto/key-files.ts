/**
 * Key files of a node home (layout in key-paths.ts) and the FileKeyStore adapter of the KeyStore port.
 *
 * Formats, as bash writes them:
 *   signing-keys/<peer>.key      64 lowercase hex characters, NO trailing newline, mode 0600;
 *   encryption-keys/<name>.key   64 lowercase hex characters + "\n", mode 0600;
 * and, MESH-TS only, identity-ed25519.key (base64 PKCS#8 DER + "\n", 0600) and identity-ed25519.pub
 * (base64 raw public key + "\n", 0644). Key folders are 0700.
 *
 * The signing key shared with peer P is stored under P's name on both nodes (each names the file
 * after the other party); the same bytes must be copied to the peer. Existing keys are never
 * replaced without `force` (MeshError ALREADY_EXISTS). Key text never appears in errors.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IdentityKeyPair, KeyStore } from '../ports/keys.ts';
import { isMeshError, MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { assertAgentName } from '../protocol/names.ts';
import { generateIdentity, importPrivateKey, publicKeyFromPrivate } from './ed25519.ts';
import {
  encryptionKeyDir, encryptionKeyPath, FLEET_KEY_NAME, identityPaths, signingKeyDir, signingKeyPath,
} from './key-paths.ts';
import { stripKeyWhitespace } from './key-text.ts';
import { secureRandom, takeRandom, type RandomBytes } from './random.ts';
import { ensurePrivateDir, PRIVATE_DIR_MODE, readSecretFile, secretWritesSoFar, writeSecretFile } from './secret-file.ts';

export { keyStatus, type KeyFileInfo, type KeyStatusReport, type PeerKeyStatus } from './key-status.ts';

const KEY_BYTES = 32;
const PUBLIC_FILE_MODE = 0o644;
/** Imported key text: printable ASCII without spaces, long enough to be a real key. */
const IMPORT_RE = /^[\x21-\x7e]{32,1024}$/;

export interface KeyGenOptions {
  /** Replace an existing key file. */
  force?: boolean;
  /** Key source (tests); the CSPRNG by default. */
  random?: RandomBytes;
}

export interface KeyWriteResult {
  path: string;
  /** True when an existing key was replaced (only possible with force). */
  replaced: boolean;
}

/** Creates config/signing-keys and config/encryption-keys with mode 0700 (tightening existing ones). */
export function ensureKeyDirs(home: string): void {
  ensurePrivateDir(signingKeyDir(home));
  ensurePrivateDir(encryptionKeyDir(home));
}

function writeKey(path: string, content: string, force: boolean): KeyWriteResult {
  ensurePrivateDir(dirname(path));
  const { replaced } = writeSecretFile(path, content, { overwrite: force });
  return { path, replaced };
}

const newHexKey = (random: RandomBytes): string => takeRandom(random, KEY_BYTES).toString('hex');

/** New HMAC key for `peer` at config/signing-keys/<peer>.key (64 hex, no newline, like `openssl rand -hex 32`). */
export function generateSigningKey(home: string, peer: string, options: KeyGenOptions = {}): KeyWriteResult {
  const path = signingKeyPath(home, peer);
  return writeKey(path, newHexKey(options.random ?? secureRandom), options.force === true);
}

/** New body encryption key for a peer or for 'fleet' (64 hex + newline, like mesh-crypt keygen). */
export function generateEncryptionKey(home: string, name: string, options: KeyGenOptions = {}): KeyWriteResult {
  const path = encryptionKeyPath(home, name);
  return writeKey(path, `${newHexKey(options.random ?? secureRandom)}\n`, options.force === true);
}

function importable(keyText: string): string {
  const key = stripKeyWhitespace(keyText);
  if (!IMPORT_RE.test(key)) {
    throw new MeshError(MeshErrorCode.KeyInvalid, 'a key must be 32 to 1024 printable ASCII characters', {
      details: { length: key.length },
    });
  }
  return key;
}

/** Stores a signing key received from the peer (whitespace stripped, written without newline). */
export function importSigningKey(home: string, peer: string, keyText: string, options: { force?: boolean } = {}): KeyWriteResult {
  const path = signingKeyPath(home, peer);
  return writeKey(path, importable(keyText), options.force === true);
}

/** Stores an encryption key received from a peer, or the fleet key (written with a trailing newline). */
export function importEncryptionKey(home: string, name: string, keyText: string, options: { force?: boolean } = {}): KeyWriteResult {
  const path = encryptionKeyPath(home, name);
  return writeKey(path, `${importable(keyText)}\n`, options.force === true);
}

/** Reads this node's identity; null when there is none. The public key is derived from the private one. */
export function readIdentity(home: string): IdentityKeyPair | null {
  const { privateKey: path } = identityPaths(home);
  const text = readSecretFile(path);
  if (text === null) return null;
  const privateKey = text.trim();
  try {
    importPrivateKey(privateKey);
  } catch (e) {
    throw new MeshError(MeshErrorCode.KeyInvalid, `${path} does not hold a base64 PKCS#8 Ed25519 private key`, {
      cause: e,
      details: { path },
    });
  }
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
}

export interface EnsureIdentityResult {
  identity: IdentityKeyPair;
  /** True when this call generated the identity. */
  created: boolean;
  privateKeyPath: string;
  publicKeyPath: string;
}

/**
 * Returns this node's identity, generating it on first use. Never replaces an existing private key;
 * (re)writes the .pub file when it is missing or does not match. Safe against a concurrent caller:
 * if another process creates the key first, its key is used.
 */
export function ensureIdentity(home: string, options: { random?: RandomBytes } = {}): EnsureIdentityResult {
  const paths = identityPaths(home);
  // config/ is shared with the registry: create it private if missing, but leave an existing one alone.
  mkdirSync(dirname(paths.privateKey), { recursive: true, mode: PRIVATE_DIR_MODE });
  let identity = readIdentity(home);
  let created = false;
  if (identity === null) {
    const fresh = generateIdentity(options.random ?? secureRandom);
    try {
      writeSecretFile(paths.privateKey, `${fresh.privateKey}\n`, { overwrite: false });
      identity = fresh;
      created = true;
    } catch (e) {
      if (!(isMeshError(e) && e.code === MeshErrorCode.AlreadyExists)) throw e;
      identity = readIdentity(home);
      if (identity === null) throw e;
    }
  }
  if (readSecretFile(paths.publicKey)?.trim() !== identity.publicKey) {
    writeSecretFile(paths.publicKey, `${identity.publicKey}\n`, { overwrite: true, mode: PUBLIC_FILE_MODE });
  }
  return { identity, created, privateKeyPath: paths.privateKey, publicKeyPath: paths.publicKey };
}

function readKey(path: string): string | null {
  const text = readSecretFile(path);
  if (text === null) return null;
  const key = stripKeyWhitespace(text);
  if (key === '') throw new MeshError(MeshErrorCode.KeyInvalid, `key file ${path} is empty`, { details: { path } });
  return key;
}

/**
 * KeyStore over the files of one node home. A key file is read at most once per turn of the event
 * loop (a batch of messages from one peer needs its key once, not once per message: open, read and
 * close are three system calls) and again in the next turn, or at once after this process wrote a
 * secret file: a rotated or removed key applies from the next message handled after the change. Peer names are validated before use: MeshError(INVALID_NAME) for names that
 * could not be agents (an untrusted `from` cannot reach outside the key folders).
 */
export class FileKeyStore implements KeyStore {
  readonly home: string;
  /** path → key (or null: no such file), for the current turn only. */
  readonly #turn = new Map<string, string | null>();

  constructor(home: string) {
    this.home = home;
  }

  #writesSeen = secretWritesSoFar();

  #read(path: string): string | null {
    if (this.#writesSeen !== secretWritesSoFar()) {
      this.#writesSeen = secretWritesSoFar();
      this.#turn.clear();
    }
    if (this.#turn.has(path)) return this.#turn.get(path) ?? null;
    if (this.#turn.size === 0) setImmediate(() => this.#turn.clear()).unref();
    const key = readKey(path);
    this.#turn.set(path, key);
    return key;
  }

  signingKey(peer: string): string | null {
    return this.#read(signingKeyPath(this.home, peer));
  }

  /** The peer's own key, else fleet.key. `fleet` is not a peer name. */
  encryptionKey(peer: string): string | null {
    return this.#read(encryptionKeyPath(this.home, assertAgentName(peer, 'peer name'))) ?? this.#read(encryptionKeyPath(this.home, FLEET_KEY_NAME));
  }

  identity(): IdentityKeyPair | null {
    return readIdentity(this.home);
  }
}

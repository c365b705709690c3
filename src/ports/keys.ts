/**
 * Key material port. The file adapter (crypto/key-files.ts) keeps the bash layout:
 * config/signing-keys/<peer>.key, config/encryption-keys/<peer>.key or fleet.key, plus the node's
 * own Ed25519 identity. Key text is returned as-is (whitespace stripped), never logged.
 */
export interface IdentityKeyPair {
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  /** PKCS#8 DER private key, base64. */
  privateKey: string;
}

export interface KeyStore {
  /** HMAC key text shared with `peer` (signing-keys/<peer>.key), or null. */
  signingKey(peer: string): string | null;
  /** Encryption key text for `peer` (encryption-keys/<peer>.key, then fleet.key), or null. */
  encryptionKey(peer: string): string | null;
  /** This node's Ed25519 identity, or null before `mesh init`. */
  identity(): IdentityKeyPair | null;
}

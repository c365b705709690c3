/**
 * Key administration for the CLI (`mesh keygen`, `mesh crypt`): the node-level facade over the
 * crypto layer's key files, so the CLI never reaches into crypto/ directly.
 */
export {
  generateSigningKey,
  importSigningKey,
  generateEncryptionKey,
  importEncryptionKey,
  keyStatus,
  readIdentity,
  type KeyStatusReport,
  type PeerKeyStatus,
  type KeyFileInfo,
  type KeyWriteResult,
} from '../crypto/key-files.ts';
export { encryptCbc, decryptCbc } from '../crypto/aes-cbc.ts';
export { encryptGcm, decryptGcm } from '../crypto/aes-gcm.ts';
export { bodyScheme } from '../crypto/payload-crypto.ts';
export { signingKeyPath, encryptionKeyPath } from '../crypto/key-paths.ts';
export { readSecretFile } from '../crypto/secret-file.ts';
export { stripKeyWhitespace } from '../crypto/key-text.ts';

import { FileKeyStore } from '../crypto/key-files.ts';
import type { KeyStore } from '../ports/keys.ts';

/** The KeyStore of a home folder, for commands that do not open a whole node. */
export function FileKeyStoreFor(home: string): KeyStore {
  return new FileKeyStore(home);
}

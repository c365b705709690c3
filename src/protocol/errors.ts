/**
 * Local error type. `code` is stable and documented: callers branch on it, never on the message.
 * Messages are for humans and must never contain secrets (tokens, keys, plaintext of encrypted bodies).
 * Wire error codes (what a receiver answers over HTTP) are a separate table: see wire-codes.ts.
 */
export const MeshErrorCode = {
  InvalidArgument: 'INVALID_ARGUMENT',
  InvalidName: 'INVALID_NAME',
  InvalidJson: 'INVALID_JSON',
  InvalidEnvelope: 'INVALID_ENVELOPE',
  UnknownAgent: 'UNKNOWN_AGENT',
  UnknownGroup: 'UNKNOWN_GROUP',
  NotInitialized: 'NOT_INITIALIZED',
  AlreadyExists: 'ALREADY_EXISTS',
  /** A second `mesh serve` for a home whose daemon is running. */
  AlreadyRunning: 'ALREADY_RUNNING',
  /** The listen address:port is taken (EADDRINUSE). */
  AddressInUse: 'ADDRESS_IN_USE',
  NotFound: 'NOT_FOUND',
  /** The thing exists but its state forbids the operation (e.g. a cancelled conversation). */
  InvalidState: 'INVALID_STATE',
  ConfigInvalid: 'CONFIG_INVALID',
  KeyMissing: 'KEY_MISSING',
  KeyInvalid: 'KEY_INVALID',
  SignatureMissing: 'SIGNATURE_MISSING',
  SignatureInvalid: 'SIGNATURE_INVALID',
  DecryptFailed: 'DECRYPT_FAILED',
  EncryptFailed: 'ENCRYPT_FAILED',
  Replay: 'REPLAY',
  Expired: 'EXPIRED',
  FutureTimestamp: 'FUTURE_TIMESTAMP',
  SchemaTooNew: 'SCHEMA_TOO_NEW',
  /** The database needs an upgrade that cannot be made here (it is read-only). */
  SchemaTooOld: 'SCHEMA_TOO_OLD',
  StoreBusy: 'STORE_BUSY',
  /** The disk holding the database is full (SQLITE_FULL / ENOSPC); details.path names the database. */
  StoreFull: 'STORE_FULL',
  StoreFailed: 'STORE_FAILED',
  CircuitOpen: 'CIRCUIT_OPEN',
  DeliveryFailed: 'DELIVERY_FAILED',
  Timeout: 'TIMEOUT',
  Internal: 'INTERNAL',
} as const;
export type MeshErrorCode = (typeof MeshErrorCode)[keyof typeof MeshErrorCode];

export interface MeshErrorOptions {
  readonly cause?: unknown;
  /** Structured, non-secret details (field names, limits, peer names). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class MeshError extends Error {
  override readonly name = 'MeshError';
  readonly code: MeshErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: MeshErrorCode, message: string, options: MeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: MeshErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Duck-typed check so errors survive module duplication (no `instanceof` reliance). */
export function isMeshError(e: unknown): e is MeshError {
  return (
    typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'MeshError' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

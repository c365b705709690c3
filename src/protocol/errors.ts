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
  StoreBusy: 'STORE_BUSY',
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

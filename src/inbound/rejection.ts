/**
 * A refused inbound message: the wire code decides the HTTP status (wire-codes.ts), the reason is a
 * short, secret-free sentence for the sender. Thrown by the pipeline steps and caught in one place.
 */
import type { WireCode } from '../protocol/wire-codes.ts';

export class InboundRejection extends Error {
  override readonly name = 'InboundRejection';
  readonly code: WireCode;
  /** With rate_limited: when the sender may try again. */
  readonly retryAfterMs: number | null;

  constructor(code: WireCode, reason: string, retryAfterMs: number | null = null) {
    super(reason);
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

export function reject(code: WireCode, reason: string): never {
  throw new InboundRejection(code, reason);
}

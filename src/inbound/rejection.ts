/**
 * A refused inbound message: the wire code decides the HTTP status (wire-codes.ts), the reason is a
 * short, secret-free sentence for the sender. Thrown by the pipeline steps and caught in one place.
 */
import type { WireCode } from '../protocol/wire-codes.ts';

export class InboundRejection extends Error {
  override readonly name = 'InboundRejection';
  readonly code: WireCode;

  constructor(code: WireCode, reason: string) {
    super(reason);
    this.code = code;
  }
}

export function reject(code: WireCode, reason: string): never {
  throw new InboundRejection(code, reason);
}

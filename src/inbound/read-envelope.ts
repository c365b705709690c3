/**
 * First pipeline steps: get the envelope out of the request body and validate its shape.
 * The order-preserving form (Maps) is kept for signature checks; the validated plain form is what
 * the rest of the node works with. Both come from the same parse, so they cannot disagree.
 */
import { parseOrdered } from '../protocol/canonical-json.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { parseEnvelope } from '../protocol/envelope-schema.ts';
import { isMeshError, MeshErrorCode } from '../protocol/errors.ts';
import { unwrapHookBody } from '../protocol/hook.ts';
import { toPlain, type JsonValue } from '../protocol/json.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { reject } from './rejection.ts';
import type { InboundRequest } from './types.ts';

export interface ReceivedEnvelope {
  /** The envelope text as received (the hook `message` string, or the raw text). */
  envelopeText: string;
  /** Order-preserving parse: what signatures are verified against. */
  ordered: JsonValue;
  /** The hook body's `sessionKey`, if any (not signed). */
  sessionKey: string | null;
}

function parses(text: string): boolean {
  try {
    parseOrdered(text);
    return true;
  } catch {
    return false;
  }
}

/** Unwraps the hook body (or parses the raw envelope). Rejects malformed_body / malformed_envelope. */
export function readEnvelope(req: InboundRequest): ReceivedEnvelope {
  if (!req.wrapped) {
    try {
      return { envelopeText: req.bodyText, ordered: parseOrdered(req.bodyText), sessionKey: null };
    } catch {
      return reject(WireCode.MalformedEnvelope, 'envelope is not valid JSON');
    }
  }
  try {
    const u = unwrapHookBody(req.bodyText);
    return { envelopeText: u.envelopeText, ordered: u.envelope, sessionKey: u.sessionKey };
  } catch (e) {
    if (isMeshError(e) && e.code === MeshErrorCode.InvalidEnvelope) {
      return reject(WireCode.MalformedBody, 'hook body has no "message" string or object');
    }
    // Tell a broken body from a broken envelope inside a good body; costs a re-parse on errors only.
    if (parses(req.bodyText)) return reject(WireCode.MalformedEnvelope, 'the "message" string is not valid JSON');
    return reject(WireCode.MalformedBody, 'body is not valid JSON');
  }
}

/**
 * True when an object key `__proto__` occurs anywhere. A plain-object copy (toPlain) would turn it
 * into a prototype instead of a field, so what we validate would differ from what the stored text
 * says; such envelopes are refused outright. Iterative: nesting depth is attacker-chosen.
 */
function hasProtoKey(v: JsonValue): boolean {
  const stack: JsonValue[] = [v];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x instanceof Map) {
      if (x.has('__proto__')) return true;
      for (const child of x.values()) stack.push(child);
    } else if (Array.isArray(x)) {
      for (const child of x) stack.push(child);
    } else if (x !== null && typeof x === 'object') {
      if (Object.hasOwn(x, '__proto__')) return true;
      for (const child of Object.values(x)) stack.push(child);
    }
  }
  return false;
}

/** Validates the envelope's shape and protocol. Rejects malformed_envelope / unsupported_protocol. */
export function validateEnvelope(ordered: JsonValue): Envelope {
  if (hasProtoKey(ordered)) return reject(WireCode.MalformedEnvelope, 'the key "__proto__" is not allowed');
  try {
    return parseEnvelope(toPlain(ordered));
  } catch (e) {
    if (isMeshError(e) && e.code === MeshErrorCode.InvalidEnvelope) {
      const code = e.details['unsupportedProtocol'] === true ? WireCode.UnsupportedProtocol : WireCode.MalformedEnvelope;
      return reject(code, e.message);
    }
    return reject(WireCode.MalformedEnvelope, 'envelope cannot be read');
  }
}

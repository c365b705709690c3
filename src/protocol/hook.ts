/**
 * The OpenClaw hook wrapper and URL conventions (bash-mesh-behavior.md §2.7, §14 A).
 * Body: {"message":"<compact envelope>"} or {"message":"…","sessionKey":"<key without agent:<id>: prefix>"}.
 * Path: /hooks/agent when replyContext.sessionKey is set, else /hooks/<sender name>.
 */
import { parseOrdered, serializeJq } from './canonical-json.ts';
import { MeshError, MeshErrorCode } from './errors.ts';
import { getField, type JsonValue } from './json.ts';

const AGENT_PREFIX_RE = /^agent:[^:]+:/;

export function stripAgentPrefix(sessionKey: string): string {
  return sessionKey.replace(AGENT_PREFIX_RE, '');
}

/** The replyContext.sessionKey of an envelope, if it is a non-empty string. */
export function sessionKeyOf(replyContext: JsonValue | undefined): string | null {
  const k = getField(replyContext ?? null, 'sessionKey');
  return typeof k === 'string' && k.length > 0 ? k : null;
}

/** Path a sender posts to on the receiving gateway or node. */
export function hookPathFor(sender: string, replyContext: JsonValue | undefined, basePath = '/hooks'): string {
  return sessionKeyOf(replyContext) === null ? `${basePath}/${sender}` : `${basePath}/agent`;
}

/** HTTP body for a hook POST, built exactly like bash (`jq -c`, message first). */
export function wrapForHook(envelopeText: string, sessionKey?: string | null): string {
  const body = new Map<string, JsonValue>([['message', envelopeText]]);
  if (sessionKey != null) body.set('sessionKey', stripAgentPrefix(sessionKey));
  return serializeJq(body);
}

export interface UnwrappedHook {
  /** The envelope as received text (what signatures are checked against after re-serialization). */
  envelopeText: string;
  /** Parsed, order-preserving form of the envelope. */
  envelope: JsonValue;
  sessionKey: string | null;
}

/**
 * Unwraps a hook body. Accepts `message` as a JSON string (bash, OpenClaw-style senders) or as an
 * object (what the Python generic receiver also accepted). Throws MeshError(InvalidJson|InvalidEnvelope).
 */
export function unwrapHookBody(bodyText: string): UnwrappedHook {
  const body = parseOrdered(bodyText);
  const message = getField(body, 'message');
  const sk = getField(body, 'sessionKey');
  const sessionKey = typeof sk === 'string' ? sk : null;
  if (typeof message === 'string') {
    return { envelopeText: message, envelope: parseOrdered(message), sessionKey };
  }
  if (message instanceof Map) {
    return { envelopeText: serializeJq(message), envelope: message, sessionKey };
  }
  throw new MeshError(MeshErrorCode.InvalidEnvelope, 'hook body has no "message" string or object');
}

/**
 * What a local agent is handed for a stored, verified message, shared by the handler-command and
 * OpenClaw adapters (adapters may not import each other).
 *
 * `handOffOf` re-reads the stored envelope text through the envelope schema, so every adapter
 * works on the one normalised `Envelope` whatever shape the sender used: bash's
 * `build_mesh_response` has no replyTo, nonce or ttl; `payload` may be null or absent. Absent
 * fields come out as the schema's defaults (null, '', [], {}), never undefined.
 *
 * `agentEnvelope` is the envelope as the agent may see it: the plaintext body in place of
 * ciphertext, decrypted attachments in place of the empty list they travelled as, and no
 * secrets — `replyTo.token` is removed (the node answers on the agent's behalf) and `signature` is
 * dropped because it no longer matches a decrypted body.
 */
import type { HandOff } from '../ports/agent-delivery.ts';
import { parseOrdered } from './canonical-json.ts';
import { parseEnvelope } from './envelope-schema.ts';
import { sessionKeyOf } from './hook.ts';
import { toPlain, type JsonObject, type JsonValue } from './json.ts';

/** A stored inbox message: the envelope text as received (verified) and its plaintext body. */
export interface StoredMessage {
  envelope: string;
  body: string;
}

/**
 * The hand-off of a stored message. Throws MeshError (INVALID_JSON / INVALID_ENVELOPE, messages
 * naming a position or a field path, never a value) when the text no longer passes the schema.
 */
export function handOffOf(stored: StoredMessage): HandOff {
  const envelope = parseEnvelope(toPlain(parseOrdered(stored.envelope)));
  return {
    envelope,
    envelopeText: stored.envelope,
    body: stored.body,
    sessionKey: sessionKeyOf(envelope.replyContext),
  };
}

export function agentEnvelope(h: HandOff): JsonObject {
  const e = h.envelope;
  const { encrypted: _encrypted, ...payload } = e.payload;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(e) as [string, unknown][]) {
    if (key === 'signature' || value === undefined) continue;
    out[key] = toPlain(value as JsonValue);
  }
  out['replyTo'] = e.replyTo === null ? null : { url: e.replyTo.url };
  const attachments = h.attachments ?? payload.attachments;
  out['payload'] = toPlain({ ...(payload as unknown as JsonObject), body: h.body, attachments: attachments as unknown as JsonValue });
  return out;
}

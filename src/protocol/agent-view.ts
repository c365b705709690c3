/**
 * The envelope as a local agent may see it: the plaintext body in place of ciphertext, decrypted
 * attachments in place of the empty list they travelled as, and no
 * secrets — `replyTo.token` is removed (the node answers on the agent's behalf) and `signature`
 * is dropped because it no longer matches a decrypted body.
 * Shared by the handler-command and OpenClaw adapters (adapters may not import each other).
 */
import type { HandOff } from '../ports/agent-delivery.ts';
import { toPlain, type JsonObject, type JsonValue } from './json.ts';

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

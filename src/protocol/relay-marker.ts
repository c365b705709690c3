/**
 * The relay marker (bash-mesh-behavior.md §4.7): a sender that cannot reach a peer directly posts the
 * envelope to a relay with `"relay":{"from":<me>,"via":<relay>,"originalTo":<envelope.to>}` appended
 * as the LAST top-level key, after the signature. Signatures never cover it (crypto/signature-format.ts),
 * so the final recipient verifies the original sender's signature over the bytes the sender signed.
 *
 * The marker is appended to the exact wire text (never by re-serializing), so every byte the sender
 * signed, encrypted or stored stays as it was. Names in the marker are agent names, which need no JSON
 * escaping beyond what JSON.stringify does identically to jq.
 */
import { getField, type JsonValue } from './json.ts';
import { isValidAgentName } from './names.ts';

export interface RelayMarker {
  from: string;
  via: string;
  originalTo: string;
}

/**
 * The envelope text with the marker appended as its last key. The text must be a compact JSON object
 * (what we store in the outbox); an envelope that already carries a marker is refused, because a
 * relayed envelope is never relayed again (one hop).
 */
export function appendRelayMarker(envelopeText: string, marker: RelayMarker): string {
  for (const name of [marker.from, marker.via, marker.originalTo]) {
    if (!isValidAgentName(name)) throw new TypeError('relay marker names must be agent names');
  }
  const trimmed = envelopeText.trimEnd();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}') || trimmed === '{}') throw new TypeError('not an envelope object');
  if (getField(JSON.parse(trimmed) as JsonValue, 'relay') !== undefined) throw new TypeError('the envelope is already relayed');
  const m = JSON.stringify({ from: marker.from, via: marker.via, originalTo: marker.originalTo });
  return `${trimmed.slice(0, -1)},"relay":${m}}`;
}

/** The envelope's relay marker when it has a well-formed one (three agent names), else null. */
export function relayMarkerOf(envelope: JsonValue): RelayMarker | null {
  const r = getField(envelope, 'relay');
  if (r === undefined || r === null) return null;
  const from = getField(r, 'from');
  const via = getField(r, 'via');
  const originalTo = getField(r, 'originalTo');
  if (typeof from !== 'string' || typeof via !== 'string' || typeof originalTo !== 'string') return null;
  if (!isValidAgentName(from) || !isValidAgentName(via) || !isValidAgentName(originalTo)) return null;
  return { from, via, originalTo };
}

/**
 * The end-to-end acknowledgement of MESH over NATS (docs/nats.md "Receipts").
 *
 * JetStream's PubAck only says the server accepted a message. The sender's outbox marks a message
 * delivered when the RECEIVER's node says it stored it: after its inbound pipeline committed the
 * message (or found it stored already), the receiver publishes a receipt to
 * `mesh.<fleet>.<sender>.receipt.<id>` (kept in the receipts stream), then acks the JetStream message.
 *
 *   {"v":"mesh-receipt/1","id":"msg_…","from":"beta","to":"alpha","status":202,"duplicate":false,
 *    "signature":"ed25519:…"}
 *
 * The receipt is signed like a message from `from` to `to` (the registry's signing scheme for that
 * pair: the shared HMAC key, or `from`'s Ed25519 identity), over the same canonical text as an
 * envelope (crypto/signature-format.ts), so a bus client that can publish on the sender's receipt
 * subject cannot mark an undelivered message delivered. The sender accepts a receipt only if it names
 * the message, the peer it was sent to and itself, and verifies under that peer's scheme.
 *
 * Receipts are sent only for messages whose sender the pipeline authenticated (stored or duplicate):
 * a refusal before that (forged, malformed, unknown sender) names nobody we could trust, so it is
 * dropped without a receipt and the sender's outbox retries and dead-letters on its own schedule.
 */
import { parseOrdered, serializeJq } from '../../protocol/canonical-json.ts';
import { getField, type JsonValue } from '../../protocol/json.ts';
import { MESSAGE_ID_RE } from '../../protocol/ids.ts';
import { isValidAgentName } from '../../protocol/names.ts';
import type { KeyStore } from '../../ports/keys.ts';
import type { PeerDirectory } from '../../ports/peers.ts';
import { signEnvelopeEd25519, verifyEnvelopeEd25519 } from '../../crypto/ed25519.ts';
import { signEnvelopeHmac, verifyEnvelopeHmac } from '../../crypto/hmac.ts';
import { attachSignature, signatureKind } from '../../crypto/signature-format.ts';

export const RECEIPT_VERSION = 'mesh-receipt/1';
/** A receipt is a few hundred bytes; anything much longer is not one. */
export const RECEIPT_MAX_BYTES = 2048;

export interface Receipt {
  id: string;
  /** The receiver (who stored the message). */
  from: string;
  /** The sender of the message. */
  to: string;
  /** The status the receiver's pipeline answered: 202 stored, 200 duplicate. */
  status: number;
  duplicate: boolean;
}

export interface ReceiptCodecDeps {
  self: string;
  keys: KeyStore;
  peers: PeerDirectory;
}

export interface ReceiptCodec {
  /** The signed receipt text for a message this node stored, or null when it cannot sign for that sender. */
  encode(r: Omit<Receipt, 'from'>): string | null;
  /** The receipt in `text` if it is a valid receipt from `peer` for message `id` to this node, else null. */
  decode(text: string, peer: string, id: string): Receipt | null;
}

function body(r: Receipt): Record<string, JsonValue> {
  return { v: RECEIPT_VERSION, id: r.id, from: r.from, to: r.to, status: r.status, duplicate: r.duplicate };
}

export function createReceiptCodec(d: ReceiptCodecDeps): ReceiptCodec {
  /** Verifies `doc` as signed by `peer`, with the scheme the registry names for it. */
  function verified(doc: JsonValue, peer: string): boolean {
    const p = d.peers.get(peer);
    const kind = signatureKind(doc);
    const scheme = p?.signing ?? 'none';
    const hmac = (): boolean => {
      const key = d.keys.signingKey(peer);
      try {
        return key !== null && verifyEnvelopeHmac(doc, key);
      } catch {
        return false;
      }
    };
    const ed = (): boolean => p?.publicKey != null && verifyEnvelopeEd25519(doc, p.publicKey);
    if (scheme === 'hmac') return kind === 'hmac-sha256' && hmac();
    if (scheme === 'ed25519') return kind === 'ed25519' && ed();
    // A peer on "none": unsigned is accepted (as its messages are), a signature present must verify.
    if (kind === 'none') return true;
    if (kind === 'hmac-sha256') return hmac();
    if (kind === 'ed25519') return ed();
    return false;
  }

  return {
    encode(r) {
      const doc = body({ ...r, from: d.self });
      const peer = d.peers.get(r.to);
      const scheme = peer?.signing ?? 'none';
      if (scheme === 'hmac') {
        const key = d.keys.signingKey(r.to);
        if (key === null) return null;
        return serializeJq(attachSignature(doc, signEnvelopeHmac(doc, key)));
      }
      if (scheme === 'ed25519') {
        const id = d.keys.identity();
        if (id === null) return null;
        return serializeJq(attachSignature(doc, signEnvelopeEd25519(doc, id.privateKey)));
      }
      return serializeJq(doc);
    },

    decode(text, peer, id) {
      if (text.length > RECEIPT_MAX_BYTES) return null;
      let doc: JsonValue;
      try {
        doc = parseOrdered(text);
      } catch {
        return null;
      }
      const v = getField(doc, 'v');
      const rid = getField(doc, 'id');
      const from = getField(doc, 'from');
      const to = getField(doc, 'to');
      const status = getField(doc, 'status');
      const duplicate = getField(doc, 'duplicate');
      if (v !== RECEIPT_VERSION || rid !== id || typeof rid !== 'string' || !MESSAGE_ID_RE.test(rid)) return null;
      if (from !== peer || typeof from !== 'string' || !isValidAgentName(from) || to !== d.self) return null;
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 299 || typeof duplicate !== 'boolean') return null;
      if (!verified(doc, peer)) return null;
      return { id: rid, from, to, status, duplicate };
    },
  };
}

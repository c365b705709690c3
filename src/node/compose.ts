/**
 * Builds the envelope for one target: fields → encrypt (optional) → sign, as the registry says for
 * that peer (bash-mesh-behavior.md §2.1, §3.1, §5; encrypt first, then sign).
 * Unlike bash, a missing key is an error, never a silent downgrade to unsigned or plaintext.
 */
import { serializeJq } from '../protocol/canonical-json.ts';
import { buildEnvelope, type Attachment, type Envelope, type MessageType } from '../protocol/envelope.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { sessionKeyOf } from '../protocol/hook.ts';
import { MESSAGE_ID_RE, type IdGenerator } from '../protocol/ids.ts';
import type { JsonValue } from '../protocol/json.ts';
import { wireTimestamp } from '../protocol/time.ts';
import type { KeyStore } from '../ports/keys.ts';
import type { PeerConfig } from '../ports/peers.ts';
import { signEnvelopeEd25519 } from '../crypto/ed25519.ts';
import { signEnvelopeHmac } from '../crypto/hmac.ts';
import { encryptEnvelopeBody } from '../crypto/payload-crypto.ts';
import { attachSignature } from '../crypto/signature-format.ts';

export interface MessageDraft {
  /** Envelope id to use instead of a fresh one (the conversations service records it before sending). */
  id?: string | undefined;
  type: MessageType;
  body: string;
  subject?: string | undefined;
  priority?: string | undefined;
  ttlSeconds?: number | undefined;
  correlationId?: string | null | undefined;
  conversationId?: string | null | undefined;
  idempotencyKey?: string | null | undefined;
  metadata?: JsonValue | undefined;
  replyContext?: JsonValue | undefined;
  session?: JsonValue | undefined;
  attachments?: Attachment[] | undefined;
  encrypt?: boolean | undefined;
}

export interface ComposeDeps {
  self: string;
  /** This node's own registry entry: where peers send replies, and the token they must present. */
  selfEntry: PeerConfig | null;
  keys: KeyStore;
  ids: IdGenerator;
  now: number;
}

export interface Composed {
  envelope: Envelope;
  /** Exact wire text (`jq -c` form) — what is signed, stored in the outbox and posted. */
  text: string;
  sessionKey: string | null;
  signed: boolean;
  encrypted: boolean;
}

export function composeEnvelope(deps: ComposeDeps, peer: PeerConfig, draft: MessageDraft): Composed {
  const sessionKey = sessionKeyOf(draft.replyContext);
  let replyTo: Envelope['replyTo'] = null;
  if (draft.type === 'request') {
    if (deps.selfEntry === null || deps.selfEntry.token === null) {
      throw new MeshError(
        MeshErrorCode.ConfigInvalid,
        `this node ("${deps.self}") has no registry entry with a token, so peers could not reply; run \`mesh init\` or add it to the registry`,
      );
    }
    const path = sessionKey === null ? `${deps.selfEntry.hookBasePath}/${peer.name}` : `${deps.selfEntry.hookBasePath}/agent`;
    replyTo = { url: `${deps.selfEntry.baseUrl}${path}`, token: deps.selfEntry.token };
  }
  if (draft.id !== undefined && !MESSAGE_ID_RE.test(draft.id)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'a message id looks like msg_<uuid>');
  }
  let envelope = buildEnvelope({
    id: draft.id ?? deps.ids.messageId(),
    timestamp: wireTimestamp(deps.now),
    from: deps.self,
    to: peer.name,
    type: draft.type,
    nonce: deps.ids.nonce(),
    body: draft.body,
    subject: draft.subject,
    correlationId: draft.correlationId,
    conversationId: draft.conversationId,
    replyTo,
    replyContext: draft.replyContext,
    session: draft.session,
    priority: draft.priority,
    ttl: draft.ttlSeconds,
    idempotencyKey: draft.idempotencyKey,
    attachments: draft.attachments,
    metadata: draft.metadata,
  });

  if (draft.encrypt) {
    if (peer.encryption === 'none') {
      throw new MeshError(MeshErrorCode.ConfigInvalid, `encryption is disabled for "${peer.name}" in the registry`);
    }
    const key = deps.keys.encryptionKey(peer.name);
    if (key === null) {
      throw new MeshError(MeshErrorCode.KeyMissing, `no encryption key for "${peer.name}" (config/encryption-keys/${peer.name}.key or fleet.key): run \`mesh crypt keygen ${peer.name}\``);
    }
    envelope = encryptEnvelopeBody(envelope, peer.encryption, key);
  }

  let signed = false;
  if (peer.signing === 'hmac') {
    const key = deps.keys.signingKey(peer.name);
    if (key === null) {
      throw new MeshError(MeshErrorCode.KeyMissing, `registry says to sign messages to "${peer.name}" but config/signing-keys/${peer.name}.key is missing: run \`mesh keygen ${peer.name}\``);
    }
    envelope = attachSignature(envelope, signEnvelopeHmac(envelope, key));
    signed = true;
  } else if (peer.signing === 'ed25519') {
    const id = deps.keys.identity();
    if (id === null) throw new MeshError(MeshErrorCode.KeyMissing, 'this node has no Ed25519 identity: run `mesh init`');
    envelope = attachSignature(envelope, signEnvelopeEd25519(envelope, id.privateKey));
    signed = true;
  }
  return { envelope, text: serializeJq(envelope as unknown as JsonValue), sessionKey, signed, encrypted: draft.encrypt === true };
}

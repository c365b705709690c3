/**
 * Builds the envelope for one target: fields → encrypt (optional) → sign, as the registry says for
 * that peer (bash-mesh-behavior.md §2.1, §3.1, §5; encrypt first, then sign).
 * Unlike bash, a missing key is an error, never a silent downgrade to unsigned or plaintext; and
 * `encrypt` never claims more than it did: attachments to a peer whose scheme cannot encrypt them
 * (aes-256-cbc, bash) are refused unless `clearAttachments` allows them in clear, and `encrypted`
 * says what was covered.
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
import { encryptEnvelopePayload, sealsAttachments } from '../crypto/payload-crypto.ts';
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
  /** With `encrypt`: let attachments travel in clear to peers whose scheme cannot encrypt them. */
  clearAttachments?: boolean | undefined;
}

/** The option a user gives to allow clear attachments (named in the refusal). */
export const CLEAR_ATTACHMENTS_OPTION = '--clear-attachments';

/** What travelled encrypted: the body, and the attachments (`'none'`: the message had none). */
export interface EncryptionCoverage {
  body: boolean;
  attachments: boolean | 'none';
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
  encrypted: EncryptionCoverage;
}

/**
 * Refuses an encrypted message with attachments to peers that could only receive them in clear,
 * unless the draft allows clear attachments. Called for all targets before anything is sent, so a
 * refused send leaves nothing behind. INVALID_ARGUMENT (a usage error).
 */
export function checkAttachmentEncryption(peers: readonly PeerConfig[], draft: Pick<MessageDraft, 'encrypt' | 'clearAttachments'>, attachmentCount: number): void {
  if (draft.encrypt !== true || attachmentCount === 0 || draft.clearAttachments === true) return;
  const bodyOnly = peers.filter((p) => p.encryption === 'aes-256-cbc').map((p) => p.name);
  if (bodyOnly.length === 0) return;
  throw new MeshError(
    MeshErrorCode.InvalidArgument,
    `--encrypt cannot protect attachments sent to ${bodyOnly.join(', ')}: aes-256-cbc (the bash MESH scheme) encrypts the body only. ` +
      `Send without attachments, or add ${CLEAR_ATTACHMENTS_OPTION} to send them unencrypted beside the encrypted body.`,
    { details: { peers: bodyOnly, option: CLEAR_ATTACHMENTS_OPTION } },
  );
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

  const attachmentCount = envelope.payload.attachments.length;
  let encrypted: EncryptionCoverage = { body: false, attachments: attachmentCount === 0 ? 'none' : false };
  if (draft.encrypt) {
    if (peer.encryption === 'none') {
      throw new MeshError(MeshErrorCode.ConfigInvalid, `encryption is disabled for "${peer.name}" in the registry`);
    }
    const key = deps.keys.encryptionKey(peer.name);
    if (key === null) {
      throw new MeshError(MeshErrorCode.KeyMissing, `no encryption key for "${peer.name}" (config/encryption-keys/${peer.name}.key or fleet.key): run \`mesh crypt keygen ${peer.name}\``);
    }
    checkAttachmentEncryption([peer], draft, attachmentCount);
    envelope = encryptEnvelopePayload(envelope, peer.encryption, key, { clearAttachments: draft.clearAttachments === true });
    encrypted = { body: true, attachments: attachmentCount === 0 ? 'none' : sealsAttachments(peer.encryption) };
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
  return { envelope, text: serializeJq(envelope as unknown as JsonValue), sessionKey, signed, encrypted };
}

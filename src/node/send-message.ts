/**
 * The send use case behind `mesh send`, `mesh request` and `mesh reply`: resolve targets, compose one
 * envelope per target (own id and nonce), write it to the durable outbox, and make the first attempt
 * right away. Targets are handled concurrently, so one dead peer does not delay the others.
 */
import { MeshError, MeshErrorCode, isMeshError } from '../protocol/errors.ts';
import type { Attachment, Envelope } from '../protocol/envelope.ts';
import { attachFile } from './attachments.ts';
import { checkAttachmentEncryption, composeEnvelope, type EncryptionCoverage, type MessageDraft } from './compose.ts';
import type { MeshNode } from './mesh-node.ts';
import type { PeerTransport } from '../ports/peers.ts';

export type SendStatus = 'delivered' | 'queued' | 'dead_lettered' | 'expired' | 'dry_run' | 'error';

export interface SendInput extends MessageDraft {
  /** Agent name, `all`, `@group`, or several names separated by commas/spaces. */
  target: string;
  /** One attempt only: a transient failure goes straight to dead letters (bash --no-retry). */
  noRetry?: boolean | undefined;
  /** Compose and sign, but neither store nor send. */
  dryRun?: boolean | undefined;
}

export interface TargetResult {
  peer: string;
  id: string | null;
  status: SendStatus;
  attempts: number;
  /** How the last attempt travelled: to the peer's transport, or to the relay's (`via`). */
  transport?: PeerTransport | undefined;
  /** The peer's (or relay's) HTTP answer to the last attempt. Never set for NATS: see `receipt`. */
  httpStatus?: number | undefined;
  /**
   * NATS: the receiver's signed receipt said it stored the message (`stored`), or that it had it
   * already (`duplicate`). JetStream's own acknowledgement never counts as delivered.
   */
  receipt?: 'stored' | 'duplicate' | undefined;
  error?: string | undefined;
  reason?: string | undefined;
  nextAttemptAt?: number | undefined;
  /** Delivered through this relay (the peer could not be reached directly). */
  via?: string | undefined;
  signed?: boolean;
  /** What travelled encrypted; absent when composing failed. */
  encrypted?: EncryptionCoverage;
  /** Dry run only: the envelope that would be sent. */
  envelope?: Envelope;
}

export function resolveTargets(node: MeshNode, target: string): string[] {
  const t = target.trim();
  if (t === 'all') {
    const all = node.registry.list().map((p) => p.name);
    if (all.length === 0) throw new MeshError(MeshErrorCode.UnknownAgent, 'the registry has no peers: add one with `mesh join <name> <ip> [port] [token]`');
    return all;
  }
  if (t.startsWith('@')) {
    const members = node.registry.group(t.slice(1));
    if (members === null || members.length === 0) {
      const known = node.registry.groupNames();
      throw new MeshError(MeshErrorCode.UnknownGroup, `unknown or empty group "${t.slice(1)}"${known.length ? ` (groups: ${known.join(', ')})` : ''}`);
    }
    return members;
  }
  const names = [...new Set(t.split(/[\s,]+/).filter(Boolean))];
  if (names.length === 0) throw new MeshError(MeshErrorCode.InvalidArgument, 'no target given');
  for (const n of names) node.peer(n); // throws UNKNOWN_AGENT with the list of known agents
  return names;
}

/**
 * checkAttachmentEncryption for the peers `target` names (names not in the registry are left to the
 * send, which reports them per target). Callers run it before preparing attachments.
 */
export function checkTargetAttachmentEncryption(node: MeshNode, target: string, draft: Pick<MessageDraft, 'encrypt' | 'clearAttachments'>, attachmentCount: number): void {
  if (draft.encrypt !== true || attachmentCount === 0 || draft.clearAttachments === true) return;
  const peers = resolveTargets(node, target).map((t) => node.registry.get(t)).filter((p) => p !== null);
  checkAttachmentEncryption(peers, draft, attachmentCount);
}

/** Receipt statuses of MESH over NATS (transports/nats/receipt.ts): what the receiver's pipeline answered. */
const RECEIPT_DUPLICATE_STATUS = 200;

/**
 * The transport fields of a result: which transport carried the last attempt and what it answered.
 * Over NATS the status of a delivered attempt is the receiver's receipt, not an HTTP answer, so it
 * is reported as `receipt` and `httpStatus` stays unset.
 */
export function transportFields(node: MeshNode, peerName: string, o: { httpStatus?: number | undefined; via?: string | undefined }): Pick<TargetResult, 'transport' | 'httpStatus' | 'receipt'> {
  const carrier = o.via === undefined ? node.registry.get(peerName) : node.registry.get(o.via);
  const transport = carrier?.transport ?? 'http';
  if (transport !== 'nats') return { transport, httpStatus: o.httpStatus };
  return { transport, receipt: o.httpStatus === undefined ? undefined : o.httpStatus === RECEIPT_DUPLICATE_STATUS ? 'duplicate' : 'stored' };
}

async function sendOne(node: MeshNode, peerName: string, input: SendInput): Promise<TargetResult> {
  const peer = node.peer(peerName);
  const now = node.clock.now();
  const composed = composeEnvelope({ self: node.self, selfEntry: node.selfEntry(), keys: node.keys, ids: node.ids, now }, peer, input);
  const env = composed.envelope;
  const base = { peer: peerName, id: env.id, signed: composed.signed, encrypted: composed.encrypted };
  if (input.dryRun) return { ...base, status: 'dry_run', attempts: 0, envelope: env };

  const outcome = await node.delivery.submit({
    id: env.id,
    peer: peerName,
    type: env.type,
    envelope: composed.text,
    sessionKey: composed.sessionKey,
    createdAt: now,
    expiresAt: Date.parse(env.timestamp) + env.ttl * 1000,
    nextAttemptAt: now,
  }, { noRetry: input.noRetry });
  return {
    ...base,
    status: outcome.status === 'busy' ? 'queued' : outcome.status,
    attempts: outcome.attempts,
    ...transportFields(node, peerName, outcome),
    error: outcome.error,
    reason: outcome.reason,
    nextAttemptAt: outcome.nextAttemptAt,
    via: outcome.via,
  };
}

export async function sendMessage(node: MeshNode, input: SendInput): Promise<TargetResult[]> {
  const targets = resolveTargets(node, input.target);
  if (input.id !== undefined && targets.length !== 1) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'a given message id can only be used for one target');
  }
  // Before anything is sent: one refused target refuses the whole send.
  checkTargetAttachmentEncryption(node, input.target, input, input.attachments?.length ?? 0);
  return Promise.all(
    targets.map(async (peer): Promise<TargetResult> => {
      try {
        return await sendOne(node, peer, input);
      } catch (e) {
        if (!isMeshError(e)) throw e;
        return { peer, id: null, status: 'error', attempts: 0, error: e.message, reason: e.code };
      }
    }),
  );
}

/** Where a message stands now, from the store (used by --wait-delivery and `mesh track`). */
export function deliveryState(node: MeshNode, id: string): SendStatus | 'unknown' {
  const row = node.store.outbox.get(id);
  if (row?.state === 'delivered') return 'delivered';
  if (row) return 'queued';
  if (node.store.deadLetters.get(id)) return 'dead_lettered';
  return 'unknown';
}

/**
 * The attachments of a message to `target`: the given ones (URL, inline) and `files` attached from
 * disk, after checking that encryption can cover them (refused before any file is copied for serving).
 */
export function draftAttachments(
  node: MeshNode, target: string, given: readonly Attachment[], files: readonly string[],
  o: Pick<MessageDraft, 'encrypt' | 'clearAttachments' | 'ttlSeconds'>,
): Attachment[] {
  checkTargetAttachmentEncryption(node, target, o, given.length + files.length);
  return [...given, ...files.map((p) => attachFile(node, p, o.ttlSeconds))];
}

/**
 * The inbound pipeline (ARCHITECTURE.md §2 "Inbound"): only verified messages ever reach the inbox,
 * and so the agent. Steps, each refusal answered with its wire code, audited as
 * `rejected_<code>` and emitted as `message.rejected`:
 *   read (hook body or raw) → shape and protocol → recipient → sender known → URL path names the
 *   sender → signature per the sender's policy → timestamp, TTL and age (freshness.ts) → decrypt
 *   (body, and the attachments that travelled inside the ciphertext: validated like clear ones) →
 *   one transaction: de-duplicate by id, replay check on the nonce (recorded only now, after
 *   authentication, so a forged copy cannot burn a genuine message's nonce), per-sender rate limit,
 *   insert (de-duplicates by (from, idempotencyKey) too), audit `received`, event `message.received`.
 * An envelope addressed to another agent that carries a relay marker naming this node is not for
 * this node's agent: it takes the relay's path instead (relay-forward.ts). An envelope addressed to
 * this node that carries a marker came through a relay: the signature is verified over what its
 * sender signed (the marker is never signed: crypto/signature-format.ts), and the audit line says `via`.
 *
 * Per-sender rate limit (deps.senderRateLimit): one budget per sender, whatever the URL path
 * (`/hooks/<sender>` and `/hooks/agent` alike), charged only for a message that passed every check
 * above and would be stored now. So junk, forgeries, stale messages, replays and duplicates naming
 * a sender never spend its budget. A refused message is not stored and its nonce is not kept (the
 * check throws inside the transaction, which undoes the nonce record): the sender may send it again
 * after the Retry-After. "Authenticated sender" depends on the sender's signing policy:
 *  - hmac / ed25519 (or a valid signature from a peer on 'none'): the signature proves the sender.
 *  - 'none', unsigned: only the hook token (checked by the HTTP layer), the registry entry and the
 *    URL path back the claim. Every peer holds the same hook token, so any of them can spend an
 *    unsigned peer's budget by claiming its name; signing (`mesh keygen <peer> --enable`) is the
 *    remedy. This is the same trust the message itself gets.
 *  - senders missing from the registry (acceptUnknownSenders): their names prove nothing, so they
 *    share ONE budget; inventing names does not buy more.
 * Storage: a full disk (STORE_FULL from the store) is answered 507 `storage_full` and logged as
 * such with the database path, so the sender retries later; nothing is acknowledged.
 * A repeated id is answered 200 {duplicate:true} before the nonce check, so a sender retrying a
 * message we already stored gets a success, not a replay error. That holds for a retry older than
 * its acceptance period too (the sender's first attempt got through but the answer was lost): an
 * expired message whose id this sender already stored is acknowledged as a duplicate. That lookup
 * happens only after the signature checks, so an unauthenticated request never learns whether an
 * id exists.
 *
 * Replay invariant: a message is accepted (202) at most once.
 *  - A copy of an accepted message has its id (the signature covers it). While the inbox row exists
 *    the copy is a duplicate, at any age, and never reaches the nonce check or the agent.
 *  - The row can go before the copy stops being acceptable (retention.inboxDays counts from
 *    receipt). So the nonce is remembered until the message's acceptance deadline plus the future
 *    skew, and never shorter than before long TTLs were honoured (2 × window, or window + skew).
 *    Whenever a copy passes freshness, that deadline has not passed, so the nonce is still there
 *    (stores refuse a recorded nonce until it is pruned, and pruning drops only expired entries).
 *    The skew margin covers a clock stepped back after housekeeping pruned at the later time.
 *    (Raising the window or the maximum age later lengthens deadlines past nonces already kept:
 *    the inbox row still catches such copies within the retention period.)
 *  - A nonce-less message (bash responses) has only its inbox row: freshness keeps it to the
 *    replay window, which the inbox retention (at least a day) outlasts.
 * A copy under a new id must be re-signed, which only the sender can do; with the same nonce it is
 * still a replay.
 * Bearer tokens, body size and the per-address rate limit belong to the HTTP layer in front of this.
 */
import type { PeerConfig } from '../ports/peers.ts';
import type { AuditEntry, NewInboxMessage } from '../ports/store.ts';
import { bodyScheme, decryptEnvelopePayload } from '../crypto/payload-crypto.ts';
import type { Attachment, Envelope } from '../protocol/envelope.ts';
import { parseAttachments } from '../protocol/envelope-schema.ts';
import { derivedOptions } from '../protocol/derived-options.ts';
import { isMeshError, MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { MESSAGE_ID_RE } from '../protocol/ids.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { isValidAgentName } from '../protocol/names.ts';
import { WireCode, wireCodeStatus } from '../protocol/wire-codes.ts';
import { relayMarkerOf } from '../protocol/relay-marker.ts';
import { authenticate } from './authenticate.ts';
import { assessFreshness } from './freshness.ts';
import { readEnvelope, validateEnvelope, type ReceivedEnvelope } from './read-envelope.ts';
import { forwardRelayed, isRelayRequest } from './relay-forward.ts';
import { InboundRejection, reject } from './rejection.ts';
import type { InboundAuth, InboundDeps, InboundOptions, InboundPipeline, InboundRequest, InboundResult } from './types.ts';

export const DEFAULT_REPLAY_WINDOW_MS = 300_000;
export const DEFAULT_FUTURE_SKEW_MS = 60_000;
export const DEFAULT_MAX_MESSAGE_AGE_MS = 86_400_000;
/** The rate-limit key all senders missing from the registry share (not a valid agent name). */
export const UNREGISTERED_SENDERS_RATE_KEY = '*unregistered';

/** What is known about a message so far, for the audit line of a refusal. */
interface Seen {
  ordered?: JsonValue;
  envelope?: Envelope;
}

interface Duplicate {
  kind: 'duplicate';
  id: string;
}
type Stored = { kind: 'accepted' } | Duplicate | { kind: 'replay' };

interface Plaintext {
  body: string;
  sealedAttachments: Attachment[] | null;
}

function checkDuration(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `${name} must be a non-negative number of milliseconds`);
  }
  return v;
}

/** A name or id from a message that failed validation is shown only if it is well-formed. */
const safeName = (v: unknown): string | null => (typeof v === 'string' && isValidAgentName(v) ? v : null);
const safeId = (v: unknown): string | null => (typeof v === 'string' && MESSAGE_ID_RE.test(v) ? v : null);

/** The acceptance policy derived from the options, validated. */
interface Policy {
  freshness: { replayWindowMs: number; futureSkewMs: number; maxMessageAgeMs: number };
  acceptUnknownSenders: boolean;
  deliveryState: 'pending' | 'none';
  relayForwarding: boolean;
  /** The least a nonce is kept, from receipt: bash keeps 2 × window. See the replay invariant above. */
  minNonceTtlMs: number;
}

function resolvePolicy(o: InboundOptions): Policy {
  const replayWindowMs = checkDuration('replayWindowMs', o.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS);
  const futureSkewMs = checkDuration('futureSkewMs', o.futureSkewMs ?? DEFAULT_FUTURE_SKEW_MS);
  const maxMessageAgeMs = checkDuration('maxMessageAgeMs', o.maxMessageAgeMs ?? DEFAULT_MAX_MESSAGE_AGE_MS);
  return {
    freshness: { replayWindowMs, futureSkewMs, maxMessageAgeMs },
    acceptUnknownSenders: o.acceptUnknownSenders ?? false,
    deliveryState: o.handOff ? 'pending' : 'none',
    relayForwarding: o.relayForwarding ?? false,
    minNonceTtlMs: Math.max(2 * replayWindowMs, replayWindowMs + futureSkewMs),
  };
}

export function createInboundPipeline(deps: InboundDeps): InboundPipeline {
  const { self, store, peers, keys, clock, events, audit, logger, senderRateLimit, observer } = deps;
  /** The policy as of this message: re-derived when the options object changes (live configuration). */
  const currentPolicy = derivedOptions(deps.options, resolvePolicy, (e) => {
    logger.error('inbound: new options refused, keeping the last good ones', { error: errorText(e) });
  });

  function auditEntry(status: string, env: Envelope | undefined, detail: string | null, fallback: Seen): AuditEntry {
    return {
      ts: clock.now(),
      direction: 'in',
      status,
      id: env?.id ?? safeId(getField(fallback.ordered, 'id')),
      from: env?.from ?? safeName(getField(fallback.ordered, 'from')),
      to: env?.to ?? null,
      type: env?.type ?? null,
      // Unverified text stays out of the audit log: subjects are recorded for accepted messages only.
      subject: null,
      correlationId: env?.correlationId ?? null,
      conversationId: env?.conversationId ?? null,
      signed: env?.signature !== undefined && env.signature !== '',
      encrypted: env?.payload.encrypted === true,
      detail,
    };
  }

  function refused(r: InboundRejection, seen: Seen): InboundResult {
    const entry = auditEntry(`rejected_${r.code}`, seen.envelope, r.message, seen);
    logger.info('inbound: message refused', { code: r.code, from: entry.from, id: entry.id });
    // A full disk refuses the audit row too: the error log line is the record.
    if (r.code !== WireCode.StorageFull) {
      try {
        audit.record(entry);
        events.emit({ type: 'message.rejected', from: entry.from, id: entry.id, code: r.code });
      } catch (e) {
        logger.error('inbound: could not record a refusal', { code: r.code, error: errorText(e) });
      }
    }
    const body: InboundResult['body'] = { ok: false, code: r.code, error: r.message };
    if (seen.envelope) body.id = seen.envelope.id;
    const result: InboundResult = { status: wireCodeStatus[r.code], body };
    if (r.retryAfterMs !== null) result.retryAfterMs = r.retryAfterMs;
    return result;
  }

  /** Spends one unit of the sender's budget, or refuses the message (see the header). */
  function chargeSender(env: Envelope, peer: PeerConfig | null): void {
    if (senderRateLimit === undefined) return;
    const decision = senderRateLimit.take(peer === null ? UNREGISTERED_SENDERS_RATE_KEY : env.from);
    if (!decision.ok) {
      throw new InboundRejection(WireCode.RateLimited, 'rate limit exceeded for this sender', decision.retryAfterMs);
    }
  }

  function knownSender(env: Envelope, pathSender: string | null, acceptUnknownSenders: boolean): PeerConfig | null {
    if (env.to !== self) return reject(WireCode.WrongRecipient, `addressed to "${env.to}", this node is "${self}"`);
    const peer = peers.get(env.from);
    if (peer === null && !acceptUnknownSenders) return reject(WireCode.UnknownSender, `"${env.from}" is not a known peer`);
    if (pathSender !== null && pathSender !== env.from) {
      const shown = safeName(pathSender);
      return reject(
        WireCode.UnknownSender,
        shown === null
          ? 'the URL path does not name the sender'
          : `the URL path names "${shown}" but the envelope is from "${env.from}"`,
      );
    }
    return peer;
  }

  /** The plaintext body, and the attachments that were sealed inside the ciphertext (null: none were). */
  function decrypt(env: Envelope, peer: PeerConfig | null): Plaintext {
    if (env.payload.encrypted !== true) return { body: env.payload.body, sealedAttachments: null };
    // A peer configured for authenticated encryption must not be able to fall back to unauthenticated CBC.
    if (peer?.encryption === 'aes-256-gcm' && bodyScheme(env.payload.body) !== 'aes-256-gcm') {
      return reject(WireCode.DecryptFailed, 'expected an aes-256-gcm body');
    }
    const key = keys.encryptionKey(env.from);
    if (key === null) {
      logger.warn('inbound: no encryption key for sender, cannot decrypt its message', { peer: env.from });
      return reject(WireCode.DecryptFailed, 'payload cannot be decrypted');
    }
    let opened;
    try {
      opened = decryptEnvelopePayload(env, key);
    } catch {
      return reject(WireCode.DecryptFailed, 'payload cannot be decrypted');
    }
    if (opened.sealedAttachments === null) return { body: opened.body, sealedAttachments: null };
    // Attachments in clear beside sealed ones would be unauthenticated additions (when unsigned).
    if (env.payload.attachments.length > 0) {
      return reject(WireCode.MalformedEnvelope, 'payload.attachments: must be empty when the attachments are encrypted');
    }
    try {
      return { body: opened.body, sealedAttachments: parseAttachments(opened.sealedAttachments) };
    } catch (e) {
      return reject(WireCode.MalformedEnvelope, isMeshError(e) ? `encrypted ${e.message}` : 'encrypted payload.attachments: invalid');
    }
  }

  function recordDuplicate(env: Envelope, id: string, why: string): Duplicate {
    audit.record(auditEntry('duplicate', env, why, {}));
    return { kind: 'duplicate', id };
  }

  /** An expired message this sender already delivered to us: its late retry, or a replay of it. */
  function storedEarlier(env: Envelope): Duplicate | null {
    const row = store.inbox.get(env.id);
    if (row === null || row.from !== env.from) return null;
    return recordDuplicate(env, row.id, 'same id, past its acceptance period');
  }

  function persist(
    env: Envelope, peer: PeerConfig | null, received: ReceivedEnvelope, plaintext: Plaintext, auth: InboundAuth, now: number, nonceExpiresAt: number,
    policyState: Policy['deliveryState'],
  ): Stored {
    const envelopeText = received.envelopeText;
    // Messages the node itself consumes (relay-election announcements) are never handed to the agent,
    // and are read on arrival: nothing in them is for the agent's inbox.
    const consumed = observer?.consumes?.(env) === true;
    const deliveryState = consumed ? 'none' : policyState;
    const marker = relayMarkerOf(received.ordered);
    const via = marker === null ? '' : `; via ${marker.via}`;
    const row: NewInboxMessage = {
      id: env.id,
      from: env.from,
      to: env.to,
      type: env.type,
      correlationId: env.correlationId,
      conversationId: env.conversationId,
      idempotencyKey: env.idempotencyKey,
      subject: env.payload.subject,
      envelope: envelopeText,
      body: plaintext.body,
      sealedAttachments: plaintext.sealedAttachments === null ? null : JSON.stringify(plaintext.sealedAttachments),
      auth,
      receivedAt: now,
      deliveryState,
      nextDeliveryAt: now,
    };
    return store.transaction((): Stored => {
      if (store.inbox.get(env.id) !== null) return recordDuplicate(env, env.id, 'same id');
      if (env.nonce !== null && !store.nonces.checkAndRecord(env.from, env.nonce, now, nonceExpiresAt)) {
        return { kind: 'replay' };
      }
      // Throws when over the limit: the transaction undoes the nonce just recorded.
      chargeSender(env, peer);
      const inserted = store.inbox.insert(row);
      if (!inserted.inserted) return recordDuplicate(env, inserted.existingId, 'same idempotencyKey');
      audit.record({ ...auditEntry('received', env, `auth=${auth}${via}`, {}), ts: now, subject: env.payload.subject });
      events.emit({
        type: 'message.received',
        id: env.id,
        from: env.from,
        messageType: env.type,
        correlationId: env.correlationId,
      });
      observe(env, plaintext.body, auth);
      if (consumed && store.inbox.markRead([env.id], now) > 0) events.emit({ type: 'message.read', id: env.id });
      return { kind: 'accepted' };
    });
  }

  /** The observer's failure never refuses a message that verified: it is logged, the message stored. */
  function observe(envelope: Envelope, body: string, auth: InboundAuth): void {
    if (observer === undefined) return;
    try {
      observer.accepted({ envelope, body, auth });
    } catch (e) {
      logger.error('inbound: the observer failed on an accepted message', { id: envelope.id, error: errorText(e) });
    }
  }

  function duplicateAck(stored: Duplicate, env: Envelope, auth: InboundAuth, sessionKey: string | null): InboundResult {
    logger.debug('inbound: duplicate acknowledged', { id: stored.id, from: env.from });
    return { status: 200, body: { ok: true, duplicate: true, id: stored.id }, auth, from: env.from, sessionKey };
  }

  function run(req: InboundRequest, seen: Seen): InboundResult {
    const received = readEnvelope(req);
    seen.ordered = received.ordered;
    const env = validateEnvelope(received.ordered);
    seen.envelope = env;
    const policy = currentPolicy();
    if (isRelayRequest(env, self)) {
      return forwardRelayed({
        self, store, peers, events, audit, logger, now: clock.now(), forwarding: policy.relayForwarding, freshness: policy.freshness,
        charge: chargeSender, auditEntry: (status, e, detail) => auditEntry(status, e, detail, {}),
      }, req, received, env);
    }
    const peer = knownSender(env, req.pathSender, policy.acceptUnknownSenders);
    const auth = authenticate(received.ordered, env, peer, { keys, logger });
    const now = clock.now();
    const freshness = assessFreshness(env, now, policy.freshness);
    if (!freshness.fresh) {
      const earlier = freshness.code === WireCode.Expired ? storedEarlier(env) : null;
      if (earlier === null) return reject(freshness.code, freshness.reason);
      return duplicateAck(earlier, env, auth, received.sessionKey);
    }
    const plaintext = decrypt(env, peer);

    const nonceExpiresAt = Math.max(now + policy.minNonceTtlMs, freshness.acceptUntilMs + policy.freshness.futureSkewMs);
    const stored = persist(env, peer, received, plaintext, auth, now, nonceExpiresAt, policy.deliveryState);
    if (stored.kind === 'replay') return reject(WireCode.Replay, 'nonce already seen');
    if (stored.kind === 'duplicate') return duplicateAck(stored, env, auth, received.sessionKey);
    logger.debug('inbound: message accepted', { id: env.id, from: env.from, type: env.type, auth });
    return {
      status: 202,
      body: { ok: true, id: env.id },
      envelope: env,
      plaintextBody: plaintext.body,
      auth,
      from: env.from,
      sessionKey: received.sessionKey,
    };
  }

  return {
    handle(req: InboundRequest): InboundResult {
      const seen: Seen = {};
      try {
        return run(req, seen);
      } catch (e) {
        if (e instanceof InboundRejection) return refused(e, seen);
        if (isMeshError(e) && e.code === MeshErrorCode.StoreFull) {
          logger.error('inbound: disk full: message not stored', { path: e.details['path'] ?? null, id: seen.envelope?.id ?? null });
          return refused(new InboundRejection(WireCode.StorageFull, 'the receiver is out of storage space; try again later'), seen);
        }
        logger.error('inbound: internal error while handling a message', { error: errorText(e) });
        return refused(new InboundRejection(WireCode.Internal, 'internal error'), seen);
      }
    },
  };
}

/** Error code (MeshError) or class name only: messages of foreign errors might quote input. */
function errorText(e: unknown): string {
  if (isMeshError(e)) return e.code;
  return e instanceof Error ? e.name : typeof e;
}

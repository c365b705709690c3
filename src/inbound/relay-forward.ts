/**
 * The relay's side of relay failover: an envelope addressed to ANOTHER agent, carrying a relay marker
 * that names this node (bash-mesh-behavior.md §4.7: a sender that cannot reach its peer posts to the
 * relay's `/hooks/<sender>` with `"relay":{"from":<sender>,"via":<relay>,"originalTo":<to>}` appended
 * after the signature). bash has no code that forwards; this node does, under these rules:
 *
 *  - forwarding is on for this node (a relay/sre/hub role, or `fleet.relay: true`), else 403
 *    relay_refused;
 *  - the marker matches: via = this node, from = the envelope's `from` = the sender the URL path names
 *    (the bearer token was checked by the HTTP layer), originalTo = the envelope's `to`;
 *  - sender AND recipient are in this node's registry (never an open relay for strangers);
 *  - what can be checked is checked: an Ed25519 signature against the sender's public key, when this
 *    node has it. An HMAC signature cannot be: its key is shared by the sender and the recipient only;
 *    the recipient verifies it (and every signature) over the envelope without the marker;
 *  - fresh (timestamp, TTL): a stale envelope would be refused by the recipient anyway;
 *  - de-duplicated by envelope id (a sender's retry is acknowledged, not forwarded twice), rate-limited
 *    as any message of that sender, then stored in this node's durable outbox with the SAME id and
 *    the SAME bytes (marker included), audited `relay_forwarded` and emitted as `relay.forwarded`.
 *
 * The outbox posts it to the recipient's `/hooks/<sender>` and never relays it again (one hop: see
 * delivery/attempt.ts). Nothing is decrypted, stored in the inbox or handed to the agent: an encrypted
 * body stays ciphertext, and a changed byte fails the recipient's signature check.
 */
import { verifyEnvelopeEd25519 } from '../crypto/ed25519.ts';
import { signatureKind } from '../crypto/signature-format.ts';
import type { PeerConfig } from '../ports/peers.ts';
import type { AuditEntry, Store } from '../ports/store.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { relayMarkerOf } from '../protocol/relay-marker.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { assessFreshness, type FreshnessPolicy } from './freshness.ts';
import type { ReceivedEnvelope } from './read-envelope.ts';
import { reject } from './rejection.ts';
import type { InboundRequest, InboundResult } from './types.ts';

export interface ForwardContext {
  self: string;
  store: Store;
  peers: { get(name: string): PeerConfig | null };
  events: EventSink;
  audit: AuditSink;
  logger: Logger;
  now: number;
  forwarding: boolean;
  freshness: FreshnessPolicy;
  /** Spends one unit of the sender's rate budget, or throws the 429 rejection. */
  charge(env: Envelope, sender: PeerConfig): void;
  /** The pipeline's audit line for this envelope. */
  auditEntry(status: string, env: Envelope, detail: string | null): AuditEntry;
}

/** True when the envelope asks this node (as a relay) rather than being addressed to it. */
export function isRelayRequest(env: Envelope, self: string): boolean {
  return env.to !== self && env.relay !== undefined;
}

function checkSignature(received: ReceivedEnvelope, sender: PeerConfig): 'ed25519' | 'unchecked' {
  const kind = signatureKind(received.ordered);
  if (kind === 'malformed') return reject(WireCode.SignatureInvalid, 'unrecognized signature format');
  if (kind !== 'ed25519' || sender.publicKey === null) return 'unchecked';
  return verifyEnvelopeEd25519(received.ordered, sender.publicKey) ? 'ed25519' : reject(WireCode.SignatureInvalid, 'signature does not verify');
}

export function forwardRelayed(ctx: ForwardContext, req: InboundRequest, received: ReceivedEnvelope, env: Envelope): InboundResult {
  const marker = relayMarkerOf(received.ordered);
  if (marker === null || marker.via !== ctx.self) {
    return reject(WireCode.WrongRecipient, `addressed to "${env.to}", this node is "${ctx.self}"`);
  }
  if (!ctx.forwarding) return reject(WireCode.RelayRefused, 'this node does not forward relayed messages');
  if (marker.from !== env.from || marker.originalTo !== env.to) return reject(WireCode.RelayRefused, 'the relay marker does not match the envelope');
  if (req.pathSender !== env.from) return reject(WireCode.UnknownSender, 'a relayed message must be posted to /hooks/<its sender>');
  const sender = ctx.peers.get(env.from);
  if (sender === null || env.from === ctx.self) return reject(WireCode.UnknownSender, `"${env.from}" is not a known peer`);
  if (ctx.peers.get(env.to) === null || env.to === env.from) return reject(WireCode.RelayRefused, `"${env.to}" is not a peer this node forwards to`);
  const auth = checkSignature(received, sender);
  const fresh = assessFreshness(env, ctx.now, ctx.freshness);
  if (!fresh.fresh) return reject(fresh.code, fresh.reason);

  const { store } = ctx;
  const queued = store.transaction(() => {
    if (store.outbox.get(env.id) !== null || store.deadLetters.get(env.id) !== null) {
      ctx.audit.record(ctx.auditEntry('duplicate', env, 'relay: already forwarded'));
      return false;
    }
    ctx.charge(env, sender);
    store.outbox.enqueue({
      id: env.id, peer: env.to, type: env.type, envelope: received.envelopeText, sessionKey: null,
      createdAt: ctx.now, expiresAt: fresh.acceptUntilMs, nextAttemptAt: ctx.now,
    });
    ctx.audit.record(ctx.auditEntry('relay_forwarded', env, `to ${env.to}; signature ${auth}`));
    ctx.events.emit({ type: 'relay.forwarded', id: env.id, from: env.from, to: env.to });
    ctx.events.emit({ type: 'message.queued', id: env.id, peer: env.to, messageType: env.type });
    return true;
  });
  if (!queued) return { status: 200, body: { ok: true, duplicate: true, id: env.id } };
  ctx.logger.info('relay: forwarding', { id: env.id, from: env.from, to: env.to });
  return { status: 202, body: { ok: true, id: env.id, relayed: true }, forwarded: true };
}

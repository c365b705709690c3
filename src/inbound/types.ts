/**
 * Contract of the inbound pipeline (ARCHITECTURE.md §2 "Inbound"): the HTTP hook route and
 * `mesh receive` hand it the request body after their own checks (bearer token, size, per-address
 * rate limit), and answer with the status and JSON body it returns.
 */
import type { Clock } from '../ports/clock.ts';
import type { InboundObserver } from '../ports/inbound-observer.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { KeyStore } from '../ports/keys.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerDirectory } from '../ports/peers.ts';
import type { RateLimit } from '../ports/rate-limit.ts';
import type { Store } from '../ports/store.ts';
import type { Envelope } from '../protocol/envelope.ts';
import type { WireCode } from '../protocol/wire-codes.ts';

export type InboundAuth = 'hmac' | 'ed25519' | 'none';

export interface InboundRequest {
  /** The <sender> of POST /hooks/<sender>; null for /hooks/agent and for `mesh receive`. */
  pathSender: string | null;
  bodyText: string;
  /** true: a hook body {"message": …}; false: the raw envelope text (`mesh receive`). */
  wrapped: boolean;
}

export interface InboundResponseBody {
  ok: boolean;
  id?: string;
  duplicate?: boolean;
  /** Accepted for forwarding (this node is the relay), not for this node's agent. */
  relayed?: boolean;
  code?: WireCode;
  error?: string;
}

export interface InboundResult {
  status: number;
  body: InboundResponseBody;
  /** The verified envelope; set only when a new message was accepted (never for duplicates). */
  envelope?: Envelope;
  /** Body after decryption; set only with `envelope`. */
  plaintextBody?: string;
  /** How the message was authenticated; set for accepted messages and duplicates. */
  auth?: InboundAuth;
  /**
   * `sessionKey` of the hook body, when present. Not covered by any signature (bash sends it beside
   * the envelope): prefer the envelope's replyContext.sessionKey when the sender is authenticated.
   */
  sessionKey?: string | null;
  /** With a 429: how long until the sender may send again (the HTTP layer sends it as Retry-After). */
  retryAfterMs?: number;
  /** A relayed envelope was queued in the outbox for its recipient: the outbox worker has work. */
  forwarded?: true;
}

export interface InboundOptions {
  /** Messages older than this are expired unless their TTL is longer (bash MESH_REPLAY_WINDOW, 300 s). */
  replayWindowMs?: number;
  /**
   * Upper bound on a message's age, whatever its TTL says (default 24 h). Messages with a nonce and
   * a TTL longer than the replay window are accepted until their TTL runs out, up to this age.
   */
  maxMessageAgeMs?: number;
  /** Messages stamped further ahead than this are refused (bash: fixed 60 s). */
  futureSkewMs?: number;
  /** Accept senders missing from the registry (verified by signature policy 'none' only). */
  acceptUnknownSenders?: boolean;
  /** A delivery adapter is configured: new inbox rows start with deliveryState 'pending', else 'none'. */
  handOff: boolean;
  /** This node forwards relayed envelopes for its registry peers (relay-forward.ts); default false. */
  relayForwarding?: boolean;
}

export interface InboundDeps {
  /** This node's agent name; envelopes must be addressed to it. */
  self: string;
  store: Store;
  peers: PeerDirectory;
  keys: KeyStore;
  clock: Clock;
  events: EventSink;
  audit: AuditSink;
  logger: Logger;
  /** Fixed options, or a function read for each message (live configuration). */
  options: InboundOptions | (() => InboundOptions);
  /**
   * Per-sender rate limit, charged once per new message of an authenticated sender (see
   * inbound-pipeline.ts for what "authenticated" means per signing policy). Absent: no limit, as for
   * one-shot commands (`mesh receive`, `mesh reply`) where an in-memory budget would mean nothing.
   */
  senderRateLimit?: RateLimit;
  /** Told about each accepted message inside its storing transaction (conversations). */
  observer?: InboundObserver;
}

export interface InboundPipeline {
  /** Synchronous: the store is. Never throws; failures become 4xx/5xx results. */
  handle(req: InboundRequest): InboundResult;
}

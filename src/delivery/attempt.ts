/**
 * One attempt at one outbox message: the unit both the CLI (`mesh send`, right after enqueueing)
 * and the daemon's worker run. The caller holds the message's lease; every path ends by giving the
 * lease up (delivered, failure recorded, released, dead-lettered or purged).
 *
 * Route: directly to the peer, or, when the peer's circuit is not closed and the fleet's router names
 * a relay (ports/routing.ts), to the relay's `/hooks/<self>` with the relay's token and the stored
 * envelope plus bash's relay marker appended after the signature (protocol/relay-marker.ts). The
 * relay's breaker gates and takes the outcome (it is the relay we talked to: bash recorded it against
 * the target, §13.2 item 19); a relay's 2xx is audited `relayed_via_<relay>` (bash's status). An
 * envelope this node forwards for another sender (its `from` is not us) goes to its recipient's
 * `/hooks/<original sender>`, unchanged and never through a relay again (one hop).
 */
import type { PeerConfig } from '../ports/peers.ts';
import type { OutboxMessage } from '../ports/store.ts';
import type { OutboundRequest, TransportResult } from '../ports/transport.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { MeshEvent } from '../protocol/events.ts';
import { wrapForHook } from '../protocol/hook.ts';
import { appendRelayMarker } from '../protocol/relay-marker.ts';
import { classifyResult, type Classification } from './classify.ts';
import { errorName, report, type DeliveryContext } from './delivery-context.ts';
import { envelopeHeader, type EnvelopeHeader } from './outbound-audit.ts';
import { purgeExpiredOutbox } from './purge.ts';
import { maxAttempts, nextRetryDelay } from './retry-policy.ts';

/**
 * `expired` also covers a message that vanished while we held it (purged past its TTL by another
 * process, or by `mesh queue purge`): either way it will not be sent again.
 */
export type AttemptStatus = 'delivered' | 'queued' | 'dead_lettered' | 'expired' | 'busy';

export interface AttemptOutcome {
  id: string;
  status: AttemptStatus;
  /** Attempts made so far (circuit-held turns do not count). */
  attempts: number;
  /** HTTP status of this attempt, when the peer answered. */
  httpStatus?: number;
  /** Error code of this attempt (`http_503`, `timeout`, `client_error_404`, `client_error_403:signature_invalid`…). */
  error?: string;
  /** queued: `retry_scheduled` | `circuit_open` | `throttled`; dead_lettered: the dead-letter reason. */
  reason?: string;
  /** queued: when the next attempt is due; busy: when the other worker's lease ends. */
  nextAttemptAt?: number;
  /** delivered: the relay it was handed to (the peer could not be reached directly). */
  via?: string;
}

/** True when the outcome came from a request that reached the transport (not held, purged or refused locally). */
export function wasSent(o: AttemptOutcome): boolean {
  return o.status === 'delivered' || o.error !== undefined;
}

/** URL of the peer's hook: `/hooks/agent` for session-routed messages, else `/hooks/<sender>` (this node). */
export function hookUrl(peer: PeerConfig, sender: string, sessionKey: string | null): string {
  const base = peer.baseUrl.replace(/\/+$/, '');
  const trimmed = peer.hookBasePath.replace(/^\/*/, '/').replace(/\/+$/, '');
  return `${base}${trimmed}/${sessionKey === null ? encodeURIComponent(sender) : 'agent'}`;
}

/** Where one attempt goes: `gate` is the peer whose breaker gates it and takes its outcome. */
export interface AttemptRoute {
  gate: string;
  /** The relay posted to, or null (directly to the peer). */
  via: string | null;
}

/** True for an envelope this node forwards as a relay: another sender's, carrying our marker. */
function forwarded(ctx: DeliveryContext, header: EnvelopeHeader): boolean {
  const self = ctx.peers.self();
  return header.from !== self && header.relay !== null && header.relay.via === self;
}

/**
 * The route of a message to `peer` now. `signed` unknown (the worker's schedule looks per peer):
 * pass true, the cautious answer (a signed envelope may not be relayed to every peer).
 */
export function routeOf(ctx: DeliveryContext, peer: string, header: EnvelopeHeader | null, now: number): AttemptRoute {
  const direct: AttemptRoute = { gate: peer, via: null };
  if (ctx.router === undefined) return direct;
  if (header !== null && (header.from !== ctx.peers.self() || header.relay !== null)) return direct;
  // A relay forwards hook requests; an A2A peer is reached directly or not at all.
  if (ctx.peers.get(peer)?.transport === 'a2a') return direct;
  if (ctx.breaker.state(peer, now).state === 'closed') return direct;
  const via = ctx.router.relayFor(peer, { signed: header?.signed ?? true }, now);
  if (via === null || via === peer || ctx.peers.get(via) === null) return direct;
  return { gate: via, via };
}

export function buildRequest(ctx: DeliveryContext, msg: OutboxMessage, peer: PeerConfig, header: EnvelopeHeader): OutboundRequest {
  if (peer.transport === 'a2a') {
    // An A2A agent gets the envelope itself; the transport turns it into a SendMessage (docs/a2a.md).
    return {
      url: peer.baseUrl, token: peer.token, body: msg.envelope, headers: {}, binding: 'a2a',
      timeoutMs: ctx.options.requestTimeoutMs, connectTimeoutMs: ctx.options.connectTimeoutMs,
    };
  }
  const headers: Record<string, string> = { 'Idempotency-Key': msg.id };
  if (header.signature !== null) headers['X-MESH-Signature'] = header.signature;
  // A forwarded envelope is posted as its sender posted it to us: the recipient checks that the
  // URL path names the envelope's sender.
  const sender = forwarded(ctx, header) ? (header.from as string) : ctx.peers.self();
  return {
    url: hookUrl(peer, sender, msg.sessionKey),
    token: peer.token,
    body: wrapForHook(msg.envelope, msg.sessionKey),
    headers,
    timeoutMs: ctx.options.requestTimeoutMs,
    connectTimeoutMs: ctx.options.connectTimeoutMs,
    // Attempts to this hook that start together may share one POST if the peer takes batches
    // (protocol/hook-batch.ts); session-routed messages (/hooks/agent) always go alone.
    ...(msg.sessionKey === null ? { batchBase: peer.baseUrl } : {}),
  };
}

/** The request to the relay: the stored bytes plus the marker, to `/hooks/<self>`, never with a sessionKey (as bash). */
export function buildRelayRequest(ctx: DeliveryContext, msg: OutboxMessage, relay: PeerConfig, header: EnvelopeHeader): OutboundRequest {
  const self = ctx.peers.self();
  const headers: Record<string, string> = { 'Idempotency-Key': msg.id };
  if (header.signature !== null) headers['X-MESH-Signature'] = header.signature;
  const marked = appendRelayMarker(msg.envelope, { from: self, via: relay.name, originalTo: header.to ?? msg.peer });
  return {
    url: hookUrl(relay, self, null),
    token: relay.token,
    body: wrapForHook(marked, null),
    headers,
    timeoutMs: ctx.options.requestTimeoutMs,
    connectTimeoutMs: ctx.options.connectTimeoutMs,
  };
}

async function send(ctx: DeliveryContext, req: OutboundRequest): Promise<TransportResult> {
  try {
    return await ctx.transport.send(req);
  } catch (e) {
    // The port promises not to throw; if an adapter does anyway, it is a failed attempt, not a crash.
    ctx.logger.warn('transport threw instead of reporting', { error: errorName(e) });
    return { status: null, networkError: 'transport_error', retryAfterMs: null, bodySnippet: '', elapsedMs: 0 };
  }
}

function deadLetter(
  ctx: DeliveryContext, msg: OutboxMessage, header: EnvelopeHeader, reason: string, attempts: number, error: string | null, now: number,
): boolean {
  const { store } = ctx;
  const moved = store.transaction(() => {
    if (error !== null) store.outbox.recordFailure(msg.id, error, now);
    return store.deadLetters.moveFromOutbox(msg.id, reason, now);
  });
  if (!moved) return false;
  ctx.logger.warn('message dead-lettered', { id: msg.id, peer: msg.peer, reason, attempts });
  report(ctx, msg, 'dead_lettered', now, `${reason}; attempts ${attempts}`,
    { type: 'message.dead_lettered', id: msg.id, peer: msg.peer, reason, attempts }, header);
  return true;
}

export interface AttemptOptions {
  /**
   * This attempt is the only one (bash `--no-retry`): an outcome that would keep the message queued
   * (transient failure, throttled, circuit open) dead-letters it instead, through the same path as
   * every other dead letter (audit entry, event, log line).
   */
  noRetry?: boolean | undefined;
}

/** Runs one attempt on a message this worker has leased. */
export async function attemptClaimed(ctx: DeliveryContext, msg: OutboxMessage, opts: AttemptOptions = {}): Promise<AttemptOutcome> {
  const { store, breaker } = ctx;
  const id = msg.id;
  const now = ctx.clock.now();
  if (now >= msg.expiresAt) {
    purgeExpiredOutbox(ctx, now, id);
    return { id, status: 'expired', attempts: msg.attempts, reason: 'expired' };
  }
  const header = envelopeHeader(msg.envelope);
  const peer = ctx.peers.get(msg.peer);
  if (peer === null) {
    const moved = deadLetter(ctx, msg, header, 'unknown_peer', msg.attempts, null, now);
    return { id, status: moved ? 'dead_lettered' : 'expired', attempts: msg.attempts, reason: 'unknown_peer' };
  }

  const route = routeOf(ctx, msg.peer, header, now);
  const relay = route.via === null ? null : ctx.peers.get(route.via);
  const gate = breaker.acquire(route.gate, now);
  if (!gate.allowed) {
    if (opts.noRetry === true) {
      const moved = deadLetter(ctx, msg, header, 'circuit_open', msg.attempts, null, now);
      return { id, status: moved ? 'dead_lettered' : 'expired', attempts: msg.attempts, reason: 'circuit_open' };
    }
    const nextAttemptAt = Math.max(gate.retryAt, msg.nextAttemptAt);
    store.outbox.release(id, nextAttemptAt);
    const via = route.via === null ? '' : ` (relay ${route.via})`;
    report(ctx, msg, 'circuit_open', now, `held until ${new Date(nextAttemptAt).toISOString()}${via}`, null, header);
    return { id, status: 'queued', attempts: msg.attempts, reason: 'circuit_open', nextAttemptAt };
  }

  const request = relay === null ? buildRequest(ctx, msg, peer, header) : buildRelayRequest(ctx, msg, relay, header);
  const result = await send(ctx, request);
  // Everything the outcome changes (breaker, outbox row, dead letter, audit, event) commits as one
  // nested transaction, and the outcomes of attempts that finish in the same turn share one commit
  // (commit-batch.ts): no half-recorded outcome, and one WAL commit per batch, not per message.
  // A delivered message is on the receiver's disk (it answered 2xx only after its fsync), so the
  // sender's "delivered" mark need not be fsynced: a power loss that takes it back sends the message
  // again and the receiver answers it as a duplicate. Every other outcome (queued for a retry, dead
  // letter) is reported to the caller and must be on disk first: it makes its batch's commit durable.
  const c = classifyResult(result);
  return ctx.commits.run(() => settle(ctx, msg, header, result, c, route, opts.noRetry === true), c.verdict !== 'delivered');
}

/** Records the outcome of a request that was sent; runs inside the caller's transaction. */
function settle(
  ctx: DeliveryContext, msg: OutboxMessage, header: EnvelopeHeader, result: TransportResult, c: Classification, route: AttemptRoute, noRetry: boolean,
): AttemptOutcome {
  const { store, breaker, options } = ctx;
  const id = msg.id;
  const done = ctx.clock.now();
  const attempts = msg.attempts + 1;
  const httpStatus = result.status ?? undefined;
  const via = route.via === null ? '' : `; via ${route.via}`;
  if (c.breaker === 'success') breaker.recordSuccess(route.gate, done);
  else breaker.recordFailure(route.gate, done);

  if (c.verdict === 'delivered') {
    store.outbox.markDelivered(id, done);
    ctx.logger.debug('message delivered', { id, peer: msg.peer, status: result.status, attempts, via: route.via });
    const event: MeshEvent = { type: 'message.delivered', id, peer: msg.peer, attempts, status: result.status ?? 0, ...(route.via === null ? {} : { via: route.via }) };
    report(ctx, msg, route.via === null ? 'sent' : `relayed_via_${route.via}`, done, `http_${String(result.status)}; attempt ${attempts}${via}`, event, header);
    return { id, status: 'delivered', attempts, ...(httpStatus === undefined ? {} : { httpStatus }), ...(route.via === null ? {} : { via: route.via }) };
  }

  if (c.verdict === 'throttled' && !noRetry) {
    // "Too many requests": the peer is up and has not processed this message. Hold the whole peer
    // for its Retry-After (or the next scheduled delay) and give the message back without using
    // up its retry budget; its TTL still bounds how long it can wait.
    const wait = Math.min(c.retryAfterMs ?? (options.retry.delaysMs[1] ?? 1_000), options.maxRetryAfterMs);
    const nextAttemptAt = Math.max(done + wait, ctx.peerHolds.get(route.gate) ?? 0);
    ctx.peerHolds.set(route.gate, nextAttemptAt);
    store.outbox.release(id, nextAttemptAt);
    report(ctx, msg, 'throttled', done, `${c.reason}; next attempt ${new Date(nextAttemptAt).toISOString()}${via}`, null, header);
    return { id, status: 'queued', attempts: msg.attempts, error: c.reason, reason: 'throttled', nextAttemptAt, httpStatus: 429 };
  }
  if (c.verdict === 'transient' && c.retryAfterMs !== null) {
    // A Retry-After on a 503 also speaks for the peer, not just this message.
    const until = done + Math.min(c.retryAfterMs, options.maxRetryAfterMs);
    ctx.peerHolds.set(route.gate, Math.max(until, ctx.peerHolds.get(route.gate) ?? 0));
  }

  const delay = c.verdict === 'transient' && !noRetry
    ? nextRetryDelay(options.retry, attempts, c.retryAfterMs, options.maxRetryAfterMs)
    : null;
  if (delay === null) {
    // Throttled or transient under noRetry: the one allowed attempt is used up.
    const reason = c.verdict === 'permanent' ? c.reason : 'all_retries_exhausted';
    const moved = deadLetter(ctx, msg, header, reason, attempts, c.reason, done);
    return { id, status: moved ? 'dead_lettered' : 'expired', attempts, error: c.reason, reason, ...(httpStatus === undefined ? {} : { httpStatus }) };
  }

  const nextAttemptAt = done + delay;
  store.outbox.recordFailure(id, c.reason, nextAttemptAt);
  ctx.logger.debug('retry scheduled', { id, peer: msg.peer, error: c.reason, attempts, nextAttemptAt });
  report(ctx, msg, 'retry_scheduled', done, `${c.reason}; attempt ${attempts}/${maxAttempts(options.retry)}${via}`,
    { type: 'message.retry_scheduled', id, peer: msg.peer, attempts, nextAttemptAt, error: c.reason }, header);
  return {
    id, status: 'queued', attempts, error: c.reason, reason: 'retry_scheduled', nextAttemptAt,
    ...(httpStatus === undefined ? {} : { httpStatus }),
  };
}

/** `attempt(id)`: leases the message, or explains why it cannot (delivered, busy, dead, expired). */
export async function attemptById(ctx: DeliveryContext, id: string, opts: AttemptOptions = {}): Promise<AttemptOutcome> {
  const { store } = ctx;
  const now = ctx.clock.now();
  const msg = store.outbox.claim(id, now, ctx.options.leaseMs);
  if (msg !== null) return attemptClaimed(ctx, msg, opts);

  const row = store.outbox.get(id);
  if (row !== null && row.state === 'delivered') {
    // markDelivered does not count the successful attempt in `attempts`.
    return { id, status: 'delivered', attempts: row.attempts + 1 };
  }
  if (row !== null) {
    if (row.leaseUntil > now) return { id, status: 'busy', attempts: row.attempts, nextAttemptAt: row.leaseUntil };
    if (now >= row.expiresAt) {
      purgeExpiredOutbox(ctx, now);
      return { id, status: 'expired', attempts: row.attempts, reason: 'expired' };
    }
    // Pending and free, yet not claimable: another worker changed it between our two reads.
    return { id, status: 'busy', attempts: row.attempts, nextAttemptAt: row.nextAttemptAt };
  }
  const letter = store.deadLetters.get(id);
  if (letter !== null) return { id, status: 'dead_lettered', attempts: letter.attempts, reason: letter.reason };
  throw new MeshError(MeshErrorCode.NotFound, 'no such outbound message', { details: { id } });
}

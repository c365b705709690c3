/**
 * What the parts of the delivery service share: the ports, the resolved options, the breaker, and
 * the one way they report what happened (audit entry + event + log line, secret-free).
 */
import type { Clock } from '../ports/clock.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerDirectory } from '../ports/peers.ts';
import type { Router } from '../ports/routing.ts';
import type { Store } from '../ports/store.ts';
import type { Transport } from '../ports/transport.ts';
import type { MeshEvent } from '../protocol/events.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { CommitBatcher } from './commit-batch.ts';
import type { DeliveryOptions } from './delivery-options.ts';
import { outboundAuditEntry, type AuditSubject, type EnvelopeHeader } from './outbound-audit.ts';

/** The ports the delivery service is built on (what the composition root passes in). */
export interface DeliveryPorts {
  store: Store;
  transport: Transport;
  peers: PeerDirectory;
  clock: Clock;
  events: EventSink;
  audit: AuditSink;
  logger: Logger;
  /** Sends to a peer that cannot be reached directly through the fleet's relay; absent: always direct. */
  router?: Router;
  /**
   * True when the transport is known to send this peer's messages several per request (hook
   * batches): such a peer gets the larger window (`maxConcurrentPerBatchingPeer`). Absent: never.
   */
  batchingPeer?: (peer: string) => boolean;
}

export interface DeliveryContext extends DeliveryPorts {
  options: DeliveryOptions;
  breaker: CircuitBreaker;
  /**
   * Peers that asked us to slow down (429, or Retry-After on a transient answer): peer (or the relay
   * that answered for it) → the time before which this process sends them nothing. In memory: a hint for this worker's pacing, not
   * state that must survive a restart.
   */
  peerHolds: Map<string, number>;
  /** The sender's group commit: bookkeeping of attempts that finish together commits once (commit-batch.ts). */
  commits: CommitBatcher;
}

/** Records one outbound fact: an audit entry, optionally an event. Never throws. */
export function report(
  ctx: DeliveryContext,
  msg: AuditSubject,
  status: string,
  ts: number,
  detail: string | null,
  event: MeshEvent | null,
  header?: EnvelopeHeader,
): void {
  try {
    ctx.audit.record(outboundAuditEntry(msg, status, ts, detail, header));
  } catch (e) {
    // Audit is a record of what happened, not part of it: a failing sink must not undo a delivery.
    ctx.logger.error('audit record failed', { id: msg.id, status, error: errorName(e) });
  }
  if (event !== null) {
    try {
      ctx.events.emit(event);
    } catch (e) {
      ctx.logger.error('event emit failed', { id: msg.id, type: event.type, error: errorName(e) });
    }
  }
}

export function errorName(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (e as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return 'unknown';
}

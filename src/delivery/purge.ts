/**
 * TTL clean-up: a message past `expiresAt` is never sent (nor replayed); it is deleted, audited
 * `expired` and announced, from the outbox and from dead letters alike.
 */
import type { DeadLetter, OutboxMessage } from '../ports/store.ts';
import { report, type DeliveryContext } from './delivery-context.ts';

function announce(ctx: DeliveryContext, m: OutboxMessage | DeadLetter, now: number, where: string): void {
  ctx.logger.debug('message expired', { id: m.id, peer: m.peer, where });
  report(ctx, m, 'expired', now, where, { type: 'message.expired', id: m.id, peer: m.peer });
}

/**
 * Deletes expired pending outbox messages that nobody is sending (or `ownLeaseId`, the one the
 * caller holds); returns them.
 */
export function purgeExpiredOutbox(ctx: DeliveryContext, now: number, ownLeaseId?: string): OutboxMessage[] {
  const gone = ctx.store.outbox.purgeExpired(now, ownLeaseId);
  for (const m of gone) announce(ctx, m, now, 'outbox');
  return gone;
}

/** Deletes expired dead letters; returns them. */
export function purgeExpiredDeadLetters(ctx: DeliveryContext, now: number): DeadLetter[] {
  const gone = ctx.store.deadLetters.purgeExpired(now);
  for (const l of gone) announce(ctx, l, now, 'dead_letters');
  return gone;
}

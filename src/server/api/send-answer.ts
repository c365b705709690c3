/**
 * The answer to a send (`POST /api/send`, a reply): 200 `{"ok":true,"results":[…]}` when every target's
 * message was delivered or is queued for retry (the daemon delivers it); 502 not_delivered when any
 * target failed for good (dead-lettered, expired, refused), with the same per-target results, so a
 * client resends to the failed targets only.
 */
import type { Context } from 'hono';
import type { TargetResult } from '../../node/send-message.ts';
import { ApiCode, failAnswer } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';

export function resultView(r: TargetResult): Record<string, unknown> {
  return {
    peer: r.peer, id: r.id, status: r.status, attempts: r.attempts, transport: r.transport ?? null, via: r.via ?? null,
    // NATS has no HTTP status: the receiver's signed receipt says it stored the message.
    httpStatus: r.httpStatus ?? null, receipt: r.receipt ?? null, reason: r.reason ?? null,
    error: r.error ?? null, nextAttemptAt: r.nextAttemptAt ?? null, signed: r.signed ?? null, encrypted: r.encrypted ?? null,
  };
}

export function sendAnswer(c: Context<ApiEnv>, results: readonly TargetResult[], extra: Record<string, unknown> = {}): Response {
  const views = results.map(resultView);
  const failed = results.filter((r) => r.status !== 'delivered' && r.status !== 'queued');
  if (failed.length > 0) {
    return failAnswer(ApiCode.NotDelivered, `${failed.length} of ${results.length} target(s) failed: ${failed.map((r) => `${r.peer} (${r.status})`).join(', ')}`, { ...extra, results: views });
  }
  return c.json({ ok: true, ...extra, results: views });
}

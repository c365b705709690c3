/**
 * The node's adapter of the sessions service's outbound port: `mesh send` of one request to one
 * participant, under the id the service chose, with `session: {"key": …}` (what bash's
 * `mesh-send.sh --session-key` puts there) and the service's metadata. A refusal before the outbox
 * (unknown peer, missing key) is the outcome `failed`, never a throw.
 */
import type { SessionDeliveryOutcome, SessionOutbound, SessionOutboundMessage } from '../ports/session-outbound.ts';
import { isMeshError } from '../protocol/errors.ts';
import type { MeshNode } from './mesh-node.ts';
import { sendMessage, type TargetResult } from './send-message.ts';

function outcomeOf(r: TargetResult | undefined): SessionDeliveryOutcome {
  if (r === undefined) return { status: 'failed', error: 'NOT_SENT' };
  switch (r.status) {
    case 'delivered':
      return { status: 'delivered' };
    case 'queued':
    case 'dead_lettered':
    case 'expired': {
      const error = r.reason ?? r.error;
      return error === undefined ? { status: r.status } : { status: r.status, error };
    }
    default:
      return { status: 'failed', error: r.reason ?? r.error ?? 'ERROR' };
  }
}

export function createSessionOutbound(node: MeshNode): SessionOutbound {
  return {
    async send(m: SessionOutboundMessage): Promise<SessionDeliveryOutcome> {
      try {
        const [result] = await sendMessage(node, {
          id: m.id, target: m.target, type: 'request', body: m.body, subject: m.subject, session: { key: m.sessionKey },
          metadata: m.metadata, ttlSeconds: m.ttlSeconds, priority: m.priority,
        });
        return outcomeOf(result);
      } catch (e) {
        if (!isMeshError(e)) throw e;
        return { status: 'failed', error: e.code };
      }
    },
  };
}

/**
 * The node's adapter of the conversations service's outbound port: `mesh send` for one target under
 * the id the service recorded (compose → encrypt/sign per the registry → outbox → first attempt).
 * A refusal before the outbox (unknown peer, missing key) is the outcome `failed`, never a throw.
 */
import type {
  ConversationDeliveryOutcome, ConversationMessage, ConversationOutbound,
} from '../ports/conversation-outbound.ts';
import { isMeshError } from '../protocol/errors.ts';
import type { MeshNode } from './mesh-node.ts';
import { sendMessage, type TargetResult } from './send-message.ts';

function outcomeOf(r: TargetResult | undefined): ConversationDeliveryOutcome {
  if (r === undefined) return { status: 'failed', error: 'NOT_SENT' };
  const error = r.error ?? r.reason;
  switch (r.status) {
    case 'delivered':
      return { status: 'delivered' };
    case 'queued':
    case 'dead_lettered':
    case 'expired':
      return error === undefined ? { status: r.status } : { status: r.status, error };
    default:
      return { status: 'failed', error: r.reason ?? r.error ?? 'ERROR' };
  }
}

export function createConversationOutbound(node: MeshNode): ConversationOutbound {
  return {
    async send(m: ConversationMessage): Promise<ConversationDeliveryOutcome> {
      try {
        const [result] = await sendMessage(node, {
          id: m.id, target: m.target, type: m.type, body: m.body, subject: m.subject, conversationId: m.conversationId,
          replyContext: m.replyContext, ttlSeconds: m.ttlSeconds, priority: m.priority, metadata: m.metadata,
          attachments: m.passthrough?.attachments, encrypt: m.passthrough?.encrypt,
        });
        return outcomeOf(result);
      } catch (e) {
        if (!isMeshError(e)) throw e;
        return { status: 'failed', error: e.code };
      }
    },
  };
}

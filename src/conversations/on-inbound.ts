/**
 * What a verified inbound message means for conversations, decided by its type:
 *  - response, ack: joins the round it correlates to (correlate.ts), counted or not (round-rules.ts);
 *  - notification: a participant's verdict notice (verdict.ts), if its metadata holds one;
 *  - request: an invitation into someone else's conversation (invitation.ts), if it names one.
 * Meant to run inside the inbound pipeline's persist transaction: synchronous, store only, every
 * change with its event and audit entry. Its own work is a nested transaction: if it fails, only the
 * conversation part is undone (and logged), never the message's acceptance.
 */
import type { Envelope } from '../protocol/envelope.ts';
import { getField } from '../protocol/json.ts';
import { errorName, type ConversationDeps } from './conversation-deps.ts';
import { conversationIdOf, correlate } from './correlate.ts';
import { conversationIdFromSubject } from './framing.ts';
import type { InboundConversationMessage, InboundConversationResult } from './inbound-types.ts';
import { recordInvitation } from './invitation.ts';
import { recordResponse } from './record-response.ts';
import { recordVerdictNotice } from './verdict.ts';

/** Whether the message says it belongs to some conversation (ours or not). */
function namesConversation(env: Envelope): boolean {
  return conversationIdOf(env.conversationId) !== null ||
    conversationIdOf(getField(env.replyContext, 'conversationId')) !== null ||
    conversationIdFromSubject(env.payload.subject) !== null;
}

function dispatch(deps: ConversationDeps, msg: InboundConversationMessage): InboundConversationResult {
  const env = msg.envelope;
  switch (env.type) {
    case 'response':
    case 'ack': {
      const target = correlate(deps.store.conversations, env);
      if (target !== null) return recordResponse(deps, target, msg);
      return namesConversation(env)
        ? { outcome: 'no_conversation', reason: 'names no conversation (or round) this node started' }
        : { outcome: 'ignored', reason: 'not a conversation message' };
    }
    case 'notification':
      return recordVerdictNotice(deps, msg) ?? { outcome: 'ignored', reason: 'a notification without a verdict' };
    case 'request':
      return recordInvitation(deps, msg);
    default:
      return { outcome: 'ignored', reason: `${env.type} messages take no part in conversations` };
  }
}

export function onInbound(deps: ConversationDeps, msg: InboundConversationMessage): InboundConversationResult {
  try {
    return deps.store.transaction(() => dispatch(deps, msg));
  } catch (e) {
    deps.logger.error('conversations: inbound message not recorded', { id: msg.envelope.id, error: errorName(e) });
    return { outcome: 'ignored', reason: 'internal error' };
  }
}

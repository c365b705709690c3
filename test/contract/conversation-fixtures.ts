import type {
  ConversationRecord, ConversationRequestRecord, ResponseRecord, RoundRecord,
} from '../../src/ports/conversation-repo.ts';
import { T0 } from './store-fixtures.ts';

export function conv(id: string, over: Partial<ConversationRecord> = {}): ConversationRecord {
  return {
    id, type: 'rally', role: 'initiator', initiator: 'alpha', participants: ['beta', 'gamma'], subject: 'deploy?',
    ttlSeconds: 300, createdAt: T0, updatedAt: T0, deadline: T0 + 300_000, status: 'active', statusReason: null,
    currentRound: 1, anonymize: false, ack: false, escalationChain: [], labels: [], verdict: null, ...over,
  };
}

export function round(conversationId: string, n: number, over: Partial<RoundRecord> = {}): RoundRecord {
  return {
    conversationId, round: n, question: `question ${n}`, createdAt: T0 + n, deadline: T0 + 300_000, expected: ['beta', 'gamma'],
    quorum: null, status: 'pending', closedAt: null, ...over,
  };
}

export function response(id: string, over: Partial<ResponseRecord> = {}): ResponseRecord {
  return {
    id, conversationId: 'c1', round: 1, agent: 'beta', correlationId: null, body: `answer ${id}`, receivedAt: T0,
    auth: 'hmac', correlatedBy: 'correlation', counted: true, fromParticipant: true, ...over,
  };
}

export function request(id: string, over: Partial<ConversationRequestRecord> = {}): ConversationRequestRecord {
  return { id, conversationId: 'c1', round: 1, agent: 'beta', createdAt: T0, delivery: 'pending', error: null, ...over };
}

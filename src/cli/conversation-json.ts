/**
 * The JSON shapes of the conversation commands (`mesh rally|converse|conv|consensus --json`). Times
 * are ISO strings (the store keeps epoch milliseconds); bodies are given whole. Stable: agents and
 * scripts read them (README "Conversations").
 */
import type { ConversationRecord, ResponseRecord } from '../ports/conversation-repo.ts';
import type { ConsensusReport, ConversationView, RoundView } from '../node/node-conversations.ts';
import { isoTime } from './time-args.ts';

export function conversationJson(c: ConversationRecord): Record<string, unknown> {
  return {
    id: c.id, type: c.type, role: c.role, initiator: c.initiator, participants: c.participants, subject: c.subject,
    status: c.status, statusReason: c.statusReason, currentRound: c.currentRound, ttlSeconds: c.ttlSeconds,
    anonymize: c.anonymize, ack: c.ack, escalationChain: c.escalationChain, labels: c.labels,
    createdAt: isoTime(c.createdAt), updatedAt: isoTime(c.updatedAt), deadline: isoTime(c.deadline),
    verdict: c.verdict === null ? null : { ...c.verdict, setAt: isoTime(c.verdict.setAt) },
  };
}

export function responseJson(r: ResponseRecord): Record<string, unknown> {
  return {
    id: r.id, round: r.round, agent: r.agent, body: r.body, receivedAt: isoTime(r.receivedAt), counted: r.counted,
    fromParticipant: r.fromParticipant, correlatedBy: r.correlatedBy, correlationId: r.correlationId, auth: r.auth,
  };
}

export function roundJson(r: RoundView): Record<string, unknown> {
  return {
    round: r.round, question: r.question, status: r.status, createdAt: isoTime(r.createdAt), deadline: isoTime(r.deadline),
    closedAt: isoTime(r.closedAt), expected: r.expected, quorum: r.quorum, answered: r.answered, missing: r.missing,
    responses: r.responses.map(responseJson),
    requests: r.requests.map((q) => ({ id: q.id, agent: q.agent, delivery: q.delivery, error: q.error, createdAt: isoTime(q.createdAt) })),
  };
}

export function viewJson(v: ConversationView): Record<string, unknown> {
  return { ...conversationJson(v.conversation), rounds: v.rounds.map(roundJson) };
}

/** bash's mesh-consensus.sh keys, in its order, plus discrepancy, majority and dissenters. */
export function consensusJson(c: ConsensusReport): Record<string, unknown> {
  return {
    conversationId: c.conversationId, round: c.round, agents: c.agents, values: c.values, rawResponses: c.rawResponses,
    consensus: c.consensus, discrepancy: c.discrepancy, detail: c.detail,
    ...(c.consensusValue === undefined ? {} : { consensusValue: c.consensusValue }),
    majority: c.majority, dissenters: c.dissenters,
  };
}

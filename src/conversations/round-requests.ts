/**
 * The requests of one round: their bodies (framed question, after the shared context from round 2
 * on), their ids recorded in the request map BEFORE anything is sent, then one concurrent send per
 * target through the outbound port. Afterwards each request's delivery is recorded, and targets that
 * can never answer (dead-lettered, expired, refused) stop being waited for.
 */
import type { ConversationDeliveryOutcome, ConversationMessage, ConversationPassthrough } from '../ports/conversation-outbound.ts';
import type { ConversationRecord, RoundRecord } from '../ports/conversation-repo.ts';
import { auditLocal, errorName, type ConversationDeps } from './conversation-deps.ts';
import { assignLabels } from './anon-labels.ts';
import { buildContextBlock, roundRequestBody, type ContextRound } from './context-block.ts';
import { conversationSubject, frameQuestion } from './framing.ts';
import { CONVERSATION_METADATA_KEY } from './invitation.ts';
import { settleRound } from './record-response.ts';
import { isOpenRound } from './round-rules.ts';
import { closeRound, setConversationStatus } from './transitions.ts';

export interface PreparedRound {
  conversation: ConversationRecord;
  round: RoundRecord;
  messages: ConversationMessage[];
}

export interface TargetOutcome extends ConversationDeliveryOutcome {
  agent: string;
  requestId: string;
}

/**
 * The shared context of every round before `beforeRound`, with labels assigned (and stored) for the
 * agents that answered when the conversation is anonymised. Call inside a transaction.
 */
export function sharedContext(deps: ConversationDeps, c: ConversationRecord, beforeRound: number): { conversation: ConversationRecord; text: string } {
  const repo = deps.store.conversations;
  const rounds: ContextRound[] = repo.rounds(c.id).filter((r) => r.round < beforeRound).map((r) => ({
    round: r.round, status: r.status, question: r.question, expected: r.expected,
    answers: repo.responses(c.id, r.round).filter((x) => x.counted).map((x) => ({ agent: x.agent, body: x.body })),
  }));
  let conversation = c;
  if (c.anonymize) {
    const labels = assignLabels(c.labels, rounds.flatMap((r) => r.answers.map((a) => a.agent)), (n) => deps.ids.hex(n));
    if (labels.length !== c.labels.length) {
      conversation = { ...c, labels };
      repo.update(conversation);
    }
  }
  const text = buildContextBlock({
    conversationId: c.id, participants: c.participants, rounds, anonymize: c.anonymize, labels: conversation.labels,
  });
  return { conversation, text };
}

export interface RoundMessageSpec {
  question: string;
  targets: readonly string[];
  priority: string;
  passthrough: ConversationPassthrough | undefined;
}

/** Builds the round's messages and records their ids (delivery 'pending'). Call inside a transaction. */
export function prepareMessages(deps: ConversationDeps, c: ConversationRecord, r: RoundRecord, spec: RoundMessageSpec): PreparedRound {
  const { conversation, text } = sharedContext(deps, c, r.round);
  const framed = frameQuestion(c.type, spec.question, {
    ack: c.ack, escalation: c.type === 'escalation' ? { level: r.round, chain: c.escalationChain } : undefined,
  });
  const body = roundRequestBody(text, r.round, framed);
  const notification = c.type === 'broadcast' && !c.ack;
  const messages = spec.targets.map((target): ConversationMessage => {
    const id = deps.ids.messageId();
    deps.store.conversations.putRequest({
      id, conversationId: c.id, round: r.round, agent: target, createdAt: deps.clock.now(), delivery: 'pending', error: null,
    });
    return {
      id, target, type: notification ? 'notification' : 'request', body, subject: conversationSubject(c.id, c.subject),
      conversationId: c.id, replyContext: { conversationId: c.id, participants: [...r.expected], round: r.round },
      ttlSeconds: c.ttlSeconds, priority: spec.priority,
      metadata: { [CONVERSATION_METADATA_KEY]: { v: 1, type: c.type, round: r.round } },
      passthrough: spec.passthrough,
    };
  });
  return { conversation, round: r, messages };
}

const UNREACHABLE = new Set(['dead_lettered', 'expired', 'failed']);

async function sendOne(deps: ConversationDeps, m: ConversationMessage): Promise<TargetOutcome> {
  try {
    const o = await deps.outbound.send(m);
    return { agent: m.target, requestId: m.id, status: o.status, ...(o.error === undefined ? {} : { error: o.error }) };
  } catch (e) {
    deps.logger.error('conversations: send failed', { conversationId: m.conversationId, peer: m.target, error: errorName(e) });
    return { agent: m.target, requestId: m.id, status: 'failed', error: errorName(e) };
  }
}

export interface SentRound {
  targets: TargetOutcome[];
  conversation: ConversationRecord;
  round: RoundRecord;
  /** The escalation level could not be reached (or already passed it on): ask the next one. */
  escalationPending: boolean;
}

/** Sends the prepared messages concurrently, then records how each went and what that means for the round. */
export async function sendPrepared(deps: ConversationDeps, p: PreparedRound): Promise<SentRound> {
  const targets = await Promise.all(p.messages.map((m) => sendOne(deps, m)));
  return deps.store.transaction(() => {
    const repo = deps.store.conversations;
    for (const t of targets) repo.setRequestDelivery(t.requestId, t.status, t.error ?? null);
    const c = repo.get(p.conversation.id) ?? p.conversation;
    const r = repo.round(p.round.conversationId, p.round.round) ?? p.round;
    const lost = targets.filter((t) => UNREACHABLE.has(t.status)).map((t) => t.agent);
    return { targets, ...stopWaitingFor(deps, c, r, lost) };
  });
}

/**
 * A round no longer waits for agents its request could not reach. With nobody left to wait for it
 * closes as `timeout` (an escalation then asks its next level). Call inside a transaction.
 */
function stopWaitingFor(deps: ConversationDeps, c0: ConversationRecord, r0: RoundRecord, agents: readonly string[]): Omit<SentRound, 'targets'> {
  const repo = deps.store.conversations;
  let c = c0;
  let r = r0;
  const lost = agents.filter((a) => r.expected.includes(a));
  if (lost.length === 0 || !isOpenRound(r)) return { conversation: c, round: r, escalationPending: escalationWaiting(c, r, deps) };
  r = { ...r, expected: r.expected.filter((a) => !lost.includes(a)) };
  repo.updateRound(r);
  auditLocal(deps, 'conv_round', { conversationId: c.id, detail: `round ${r.round}: not waiting for unreachable ${lost.join(', ')}` });
  if (r.expected.length > 0) {
    const settled = settleRound(deps, c, r, null);
    return { conversation: settled.conversation, round: settled.round, escalationPending: settled.escalationPending };
  }
  r = closeRound(deps, r, 'timeout');
  if (c.currentRound === r.round && c.status === 'active') {
    if (c.type === 'escalation' && r.round < c.escalationChain.length) return { conversation: c, round: r, escalationPending: true };
    c = setConversationStatus(deps, c, 'timeout', `round ${r.round}: no target could be reached`);
  }
  return { conversation: c, round: r, escalationPending: false };
}

/**
 * A conversation request that the outbox gave up on later (dead-lettered or expired after the
 * first attempt): the round stops waiting for that agent. Returns whether an escalation now waits
 * for its next level (call `tick()`); false when the id is not a conversation request.
 */
export function requestUndeliverable(deps: ConversationDeps, messageId: string, status: 'dead_lettered' | 'expired', error: string | null): boolean {
  return deps.store.transaction(() => {
    const repo = deps.store.conversations;
    const q = repo.request(messageId);
    if (q === null) return false;
    repo.setRequestDelivery(messageId, status, error);
    const c = repo.get(q.conversationId);
    const r = repo.round(q.conversationId, q.round);
    if (c === null || r === null || c.role !== 'initiator') return false;
    return stopWaitingFor(deps, c, r, [q.agent]).escalationPending;
  });
}

/** An active escalation whose current level is done (timed out, or answered ESCALATE) with levels left. */
export function escalationWaiting(c: ConversationRecord, r: RoundRecord, deps: ConversationDeps): boolean {
  if (c.type !== 'escalation' || c.role !== 'initiator' || c.status !== 'active' || r.round !== c.currentRound) return false;
  if (isOpenRound(r) || r.round >= c.escalationChain.length) return false;
  if (r.status === 'timeout') return true;
  return r.status === 'complete' && deps.store.conversations.responses(c.id, r.round).some((x) => x.counted);
}

/**
 * Opening rounds: a new conversation (round 1, blind), the next round of one (the previous round, if
 * still open, is superseded; the participants grow by the new targets), and the next level of an
 * escalation. Each type as bash §6.2 means it, done properly:
 *  - rally, collab, opinion, brainstorm: every target asked at once; collab/opinion/brainstorm framed
 *    for their purpose; optional quorum;
 *  - escalation: the targets are the chain; one level per round, the next asked only when the current
 *    one times out or answers ESCALATE / CANNOT RESOLVE (framing.ts); all in one conversation;
 *  - broadcast: without ack, notifications, and the conversation is complete at once; with ack,
 *    requests, and any reply counts as the acknowledgement.
 * The round and its request ids are committed before anything is sent.
 */
import type { ConversationDeliveryStatus } from '../ports/conversation-outbound.ts';
import type {
  ConversationRecord, ConversationStatus, ConversationType, RoundRecord, RoundStatus,
} from '../ports/conversation-repo.ts';
import { truncateUtf8 } from '../protocol/envelope.ts';
import { auditLocal, invalid, invalidState, type ConversationDeps } from './conversation-deps.ts';
import { DEFAULT_SUBJECT_BYTES, DEFAULT_TTL_SECONDS_BY_TYPE } from './conversation-limits.ts';
import { validateOpenInput, type OpenRoundInput, type ValidInput } from './open-input.ts';
import { escalationWaiting, prepareMessages, sendPrepared, type PreparedRound, type TargetOutcome } from './round-requests.ts';
import { isOpenRound } from './round-rules.ts';
import { closeRound, openConversationRecord, openRoundRecord, setConversationStatus } from './transitions.ts';

export interface OpenRoundResult {
  conversationId: string;
  type: ConversationType;
  round: number;
  /** A new conversation (false: the next round of an existing one). */
  created: boolean;
  deadline: number;
  /** The agents asked in this round and how each request went (an escalation: the level asked). */
  targets: { agent: string; requestId: string; status: ConversationDeliveryStatus; error?: string }[];
  roundStatus: RoundStatus;
  conversationStatus: ConversationStatus;
  /** Escalation levels asked after this one because it could not be reached (their rounds). */
  escalatedTo: EscalationStep[];
}

export interface EscalationStep {
  conversationId: string;
  round: number;
  agent: string;
  status: ConversationDeliveryStatus;
}

const defaultSubject = (question: string): string =>
  truncateUtf8(question.trim().split(/\r?\n/, 1)[0] ?? '', DEFAULT_SUBJECT_BYTES).replace(/\p{Cc}/gu, ' ');

interface Opened {
  prepared: PreparedRound;
  created: boolean;
}

/** Who a round of `c` waits for, given the targets asked. */
function expectedOf(c: ConversationRecord, targets: readonly string[], round: number): string[] {
  if (c.type === 'escalation') return [c.escalationChain[round - 1] as string];
  if (c.type === 'broadcast' && !c.ack) return [];
  return [...targets];
}

function newConversation(deps: ConversationDeps, v: ValidInput, now: number): ConversationRecord {
  const type = v.type ?? 'rally';
  const ttlSeconds = v.ttlSeconds ?? DEFAULT_TTL_SECONDS_BY_TYPE[type];
  return {
    id: v.conversationId ?? deps.ids.conversationId(now), type, role: 'initiator', initiator: deps.self,
    participants: [...v.targets], subject: v.subject ?? defaultSubject(v.question), ttlSeconds, createdAt: now,
    updatedAt: now, deadline: now + ttlSeconds * 1000, status: 'active', statusReason: null, currentRound: 1,
    anonymize: v.anonymize ?? false, ack: v.ack ?? false, escalationChain: type === 'escalation' ? [...v.targets] : [],
    labels: [], verdict: null,
  };
}

/** The conversation record for its next round, after checking a follow-up is allowed. */
function followUp(deps: ConversationDeps, c: ConversationRecord, v: ValidInput, now: number): ConversationRecord {
  if (c.role !== 'initiator') throw invalidState(`this node is a participant of ${c.id}: only its initiator (${c.initiator}) opens rounds`, c.id);
  if (c.status === 'cancelled') throw invalidState(`conversation ${c.id} was cancelled`, c.id);
  if (v.type !== undefined && v.type !== c.type) throw invalid(`conversation ${c.id} is a ${c.type}, not a ${v.type}`, 'type');
  if (c.type === 'escalation') throw invalidState(`escalation ${c.id} moves to its next level by itself`, c.id);
  if (v.ack !== undefined && v.ack !== c.ack) throw invalid(`broadcast ${c.id} ${c.ack ? 'tracks' : 'does not track'} acknowledgements`, 'ack');
  const previous = deps.store.conversations.round(c.id, c.currentRound);
  if (previous !== null && isOpenRound(previous)) closeRound(deps, previous, 'superseded');
  const ttlSeconds = v.ttlSeconds ?? c.ttlSeconds;
  const next: ConversationRecord = {
    ...c, participants: [...new Set([...c.participants, ...v.targets])], subject: v.subject ?? c.subject, ttlSeconds,
    anonymize: v.anonymize ?? c.anonymize, currentRound: c.currentRound + 1, deadline: now + ttlSeconds * 1000,
    updatedAt: now,
  };
  deps.store.conversations.update(next);
  if (c.status !== 'active') return setConversationStatus(deps, next, 'active', `round ${next.currentRound} opened`);
  return next;
}

function open(deps: ConversationDeps, v: ValidInput): Opened {
  const now = deps.clock.now();
  const existing = v.conversationId === undefined ? null : deps.store.conversations.get(v.conversationId);
  const created = existing === null;
  let c = existing === null ? newConversation(deps, v, now) : followUp(deps, existing, v, now);
  if (created && !openConversationRecord(deps, c)) throw invalidState(`conversation ${c.id} exists already`, c.id);
  const n = c.currentRound;
  const round: RoundRecord = {
    conversationId: c.id, round: n, question: v.question, createdAt: now, deadline: c.deadline,
    expected: expectedOf(c, v.targets, n), quorum: v.quorum, status: 'pending', closedAt: null,
  };
  openRoundRecord(deps, round);
  auditLocal(deps, created ? 'conv_opened' : 'conv_round', {
    conversationId: c.id, from: deps.self, detail: `${c.type} round ${n}: ${round.expected.join(', ') || v.targets.join(', ')}`,
  });
  const asked = c.type === 'escalation' ? round.expected : v.targets;
  const priority = c.type === 'escalation' ? 'high' : v.priority ?? 'normal';
  const prepared = prepareMessages(deps, c, round, { question: v.question, targets: asked, priority, passthrough: v.passthrough });
  c = prepared.conversation;
  if (c.type === 'broadcast' && !c.ack) {
    const closed = closeRound(deps, round, 'complete', []);
    c = setConversationStatus(deps, c, 'complete', 'broadcast: no acknowledgement requested');
    return { prepared: { ...prepared, conversation: c, round: closed }, created };
  }
  return { prepared, created };
}

/** The next level of an escalation whose current level is done; null when there is nothing to do (any more). */
function prepareNextLevel(deps: ConversationDeps, conversationId: string, fromRound: number): PreparedRound | null {
  return deps.store.transaction(() => {
    const repo = deps.store.conversations;
    const c = repo.get(conversationId);
    if (c === null || c.currentRound !== fromRound) return null;
    const current = repo.round(c.id, fromRound);
    if (current === null || !escalationWaiting(c, current, deps)) return null;
    const now = deps.clock.now();
    const next: ConversationRecord = { ...c, currentRound: fromRound + 1, deadline: now + c.ttlSeconds * 1000, updatedAt: now };
    repo.update(next);
    const first = repo.round(c.id, 1);
    const round: RoundRecord = {
      conversationId: c.id, round: fromRound + 1, question: first?.question ?? current.question, createdAt: now,
      deadline: next.deadline, expected: expectedOf(next, [], fromRound + 1), quorum: null, status: 'pending', closedAt: null,
    };
    openRoundRecord(deps, round);
    auditLocal(deps, 'conv_round', { conversationId: c.id, from: deps.self, detail: `escalation level ${round.round}: ${round.expected.join(', ')}` });
    return prepareMessages(deps, next, round, { question: round.question, targets: round.expected, priority: 'high', passthrough: undefined });
  });
}

/**
 * Asks the next level(s) of an escalation whose current level is done, until one is reached or the
 * chain ends. Safe to call from several processes: the level is claimed in a transaction.
 */
export async function advanceEscalation(deps: ConversationDeps, conversationId: string, fromRound: number): Promise<EscalationStep[]> {
  const steps: EscalationStep[] = [];
  let round = fromRound;
  for (;;) {
    const prepared = prepareNextLevel(deps, conversationId, round);
    if (prepared === null) return steps;
    const sent = await sendPrepared(deps, prepared);
    const t = sent.targets[0];
    steps.push({ conversationId, round: prepared.round.round, agent: t?.agent ?? '', status: t?.status ?? 'failed' });
    if (!sent.escalationPending) return steps;
    round = prepared.round.round;
  }
}

export async function openRound(deps: ConversationDeps, input: OpenRoundInput): Promise<OpenRoundResult> {
  const v = validateOpenInput(input, deps.self);
  const { prepared, created } = deps.store.transaction(() => open(deps, v));
  const sent = await sendPrepared(deps, prepared);
  const escalatedTo = sent.escalationPending ? await advanceEscalation(deps, prepared.conversation.id, prepared.round.round) : [];
  const latest = deps.store.conversations.get(prepared.conversation.id) ?? sent.conversation;
  const targets = sent.targets.map((t: TargetOutcome) => ({
    agent: t.agent, requestId: t.requestId, status: t.status, ...(t.error === undefined ? {} : { error: t.error }),
  }));
  return {
    conversationId: prepared.conversation.id, type: prepared.conversation.type, round: prepared.round.round, created,
    deadline: prepared.round.deadline, targets, roundStatus: sent.round.status, conversationStatus: latest.status, escalatedTo,
  };
}

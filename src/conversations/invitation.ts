/**
 * The participant side: a request carrying a conversation id (replyContext.conversationId, else the
 * envelope's conversationId) invites this node into a round of someone else's conversation. It is
 * recorded so `mesh conv show` works here and a verdict can be sent to the initiator.
 *
 * Peer input, so: the round number and participant list are validated (a bad one falls back to
 * round 1 / just this node); a request can never touch a conversation this node started, nor one
 * another agent started (the initiator is whoever sent the first invitation).
 */
import type { ConversationRecord, ConversationType, RoundRecord } from '../ports/conversation-repo.ts';
import { isConversationType } from '../ports/conversation-repo.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { isValidAgentName } from '../protocol/names.ts';
import { auditLocal, type ConversationDeps } from './conversation-deps.ts';
import { MAX_SUBJECT_CHARS, MAX_TARGETS } from './conversation-limits.ts';
import { conversationIdOf, roundOf } from './correlate.ts';
import type { InboundConversationMessage, InboundConversationResult } from './inbound-types.ts';
import { isOpenRound } from './round-rules.ts';
import { closeRound, openConversationRecord, openRoundRecord } from './transitions.ts';

/** The metadata our own requests carry about their conversation (documented in docs/conversations.md). */
export const CONVERSATION_METADATA_KEY = 'meshConversation';

const FRAME_TYPES: readonly [RegExp, ConversationType][] = [
  [/^\[COLLAB\]/, 'collab'],
  [/^\[OPINION REQUESTED\]/, 'opinion'],
  [/^\[BRAINSTORM\]/, 'brainstorm'],
  [/^\[ESCALATION\]/, 'escalation'],
  [/^\[BROADCAST/, 'broadcast'],
];

/** The conversation type: our metadata, else bash's framing prefix of the question, else rally. */
function typeOf(metadata: JsonValue, body: string): ConversationType {
  const declared = getField(getField(metadata, CONVERSATION_METADATA_KEY), 'type');
  if (typeof declared === 'string' && isConversationType(declared)) return declared;
  const current = /(?:^|\n)── Round \d+ \(current\) ──\n/.exec(body);
  const framed = current === null ? body.trimStart() : body.slice(current.index + current[0].length);
  return FRAME_TYPES.find(([re]) => re.test(framed))?.[1] ?? 'rally';
}

function participantsOf(replyContext: JsonValue, self: string, from: string): string[] {
  const listed = getField(replyContext, 'participants');
  const names = Array.isArray(listed)
    ? listed.filter((p): p is string => typeof p === 'string' && isValidAgentName(p) && p !== from).slice(0, MAX_TARGETS)
    : [];
  return [...new Set(names.includes(self) ? names : [...names, self])];
}

/** The subject without its `[conv_…] ` prefix, bounded. */
function plainSubject(subject: string): string {
  return subject.replace(/^\s*\[conv_[^\]]*\]\s*/, '').slice(0, MAX_SUBJECT_CHARS);
}

export function recordInvitation(deps: ConversationDeps, msg: InboundConversationMessage): InboundConversationResult {
  const env = msg.envelope;
  const conversationId = conversationIdOf(getField(env.replyContext, 'conversationId')) ?? conversationIdOf(env.conversationId);
  if (conversationId === null) return { outcome: 'ignored', reason: 'no conversation id' };
  const roundNo = roundOf(getField(env.replyContext, 'round')) ?? 1;
  const now = deps.clock.now();
  const deadline = now + env.ttl * 1000;
  const participants = participantsOf(env.replyContext, deps.self, env.from);
  const repo = deps.store.conversations;

  let c = repo.get(conversationId);
  if (c !== null && c.role === 'initiator') return { outcome: 'ignored', reason: 'a conversation this node started' };
  if (c !== null && c.initiator !== env.from) return { outcome: 'ignored', reason: 'the conversation was started by another agent' };
  if (c !== null && repo.round(conversationId, roundNo) !== null) {
    return { outcome: 'invited', conversationId, round: roundNo, initiator: env.from, created: false };
  }
  const created = c === null;
  if (c === null) {
    c = {
      id: conversationId, type: typeOf(env.payload.metadata, msg.body), role: 'participant', initiator: env.from, participants,
      subject: plainSubject(env.payload.subject), ttlSeconds: env.ttl, createdAt: now, updatedAt: now, deadline,
      status: 'active', statusReason: null, currentRound: roundNo, anonymize: false, ack: false, escalationChain: [],
      labels: [], verdict: null,
    };
    openConversationRecord(deps, c);
  } else if (roundNo > c.currentRound) {
    const previous = repo.round(c.id, c.currentRound);
    if (previous !== null && isOpenRound(previous)) closeRound(deps, previous, 'superseded');
    const next: ConversationRecord = {
      ...c, participants: [...new Set([...c.participants, ...participants])], currentRound: roundNo, deadline,
      status: 'active', statusReason: null, updatedAt: now,
    };
    repo.update(next);
    if (c.status !== 'active') {
      deps.events.emit({ type: 'conversation.status', conversationId, status: 'active', reason: `round ${roundNo}` });
    }
    c = next;
  }
  const round: RoundRecord = {
    conversationId, round: roundNo, question: msg.body, createdAt: now, deadline, expected: participants, quorum: null,
    status: 'pending', closedAt: null,
  };
  openRoundRecord(deps, round);
  auditLocal(deps, 'conv_invited', {
    conversationId, id: env.id, from: env.from, to: deps.self, detail: `${c.type} round ${roundNo} from ${env.from}`,
  });
  return { outcome: 'invited', conversationId, round: roundNo, initiator: env.from, created };
}

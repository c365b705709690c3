/**
 * Input of a rally / converse call, validated once (the CLI, an agent or an SDK user may pass it).
 */
import type { ConversationPassthrough } from '../ports/conversation-outbound.ts';
import type { ConversationType } from '../ports/conversation-repo.ts';
import { isConversationType } from '../ports/conversation-repo.ts';
import { CONVERSATION_ID_RE } from '../protocol/ids.ts';
import { isValidAgentName } from '../protocol/names.ts';
import { invalid } from './conversation-deps.ts';
import { MAX_QUESTION_BYTES, MAX_SUBJECT_CHARS, MAX_TARGETS, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from './conversation-limits.ts';

export interface OpenRoundInput {
  /** Default: the existing conversation's type, else rally. */
  type?: ConversationType | undefined;
  question: string;
  /** Agent names, already resolved (no `all` or `@group`); for an escalation, the chain in order. */
  targets: readonly string[];
  subject?: string | undefined;
  /** Default: the conversation's, else the type's default (conversation-limits.ts). */
  ttlSeconds?: number | undefined;
  priority?: string | undefined;
  /** Complete the round at k answers (rally, collab, opinion, brainstorm). */
  quorum?: number | null | undefined;
  /** Share prior answers without names (labels A, B, C…). Default: the conversation's, else false. */
  anonymize?: boolean | undefined;
  /** broadcast: ask for acknowledgements and track them. */
  ack?: boolean | undefined;
  /** Open the next round of this conversation (or a new conversation under this id). */
  conversationId?: string | undefined;
  passthrough?: ConversationPassthrough | undefined;
}

export interface ValidInput {
  type: ConversationType | undefined;
  question: string;
  targets: string[];
  subject: string | undefined;
  ttlSeconds: number | undefined;
  priority: string | undefined;
  quorum: number | null;
  anonymize: boolean | undefined;
  ack: boolean | undefined;
  conversationId: string | undefined;
  passthrough: ConversationPassthrough | undefined;
}

const PRIORITY_RE = /^[A-Za-z0-9_-]{1,20}$/;
const QUORUM_TYPES: readonly ConversationType[] = ['rally', 'collab', 'opinion', 'brainstorm'];

export function validateOpenInput(input: OpenRoundInput, self: string): ValidInput {
  if (input.type !== undefined && !isConversationType(input.type)) throw invalid(`unknown conversation type "${String(input.type).slice(0, 40)}"`, 'type');
  if (typeof input.question !== 'string' || input.question.trim() === '') throw invalid('the question is empty', 'question');
  if (Buffer.byteLength(input.question, 'utf8') > MAX_QUESTION_BYTES) {
    throw invalid(`the question is larger than ${MAX_QUESTION_BYTES} bytes (send big content as a file)`, 'question');
  }
  const targets = [...new Set(input.targets)];
  if (targets.length === 0) throw invalid('no agents to ask', 'targets');
  if (targets.length > MAX_TARGETS) throw invalid(`at most ${MAX_TARGETS} agents per round`, 'targets');
  for (const t of targets) {
    if (typeof t !== 'string' || !isValidAgentName(t)) throw invalid(`invalid agent name ${JSON.stringify(String(t).slice(0, 80))}`, 'targets');
    if (t === self) throw invalid(`"${self}" is this node: a conversation asks other agents`, 'targets');
  }
  if (input.subject !== undefined && (input.subject.length > MAX_SUBJECT_CHARS || /\p{Cc}/u.test(input.subject))) {
    throw invalid(`the subject must be one line of at most ${MAX_SUBJECT_CHARS} characters`, 'subject');
  }
  const ttl = input.ttlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS)) {
    throw invalid(`ttlSeconds must be a whole number from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}`, 'ttlSeconds');
  }
  if (input.priority !== undefined && !PRIORITY_RE.test(input.priority)) throw invalid('priority must be a short word (e.g. low, normal, high)', 'priority');
  const quorum = input.quorum ?? null;
  if (quorum !== null) {
    if (input.type !== undefined && !QUORUM_TYPES.includes(input.type)) throw invalid(`a quorum does not apply to ${input.type}`, 'quorum');
    if (!Number.isInteger(quorum) || quorum < 1 || quorum > targets.length) {
      throw invalid(`quorum must be a whole number from 1 to the number of agents asked (${targets.length})`, 'quorum');
    }
  }
  if (input.ack !== undefined && input.type !== 'broadcast') throw invalid('ack applies to broadcasts only', 'ack');
  if (input.conversationId !== undefined && !CONVERSATION_ID_RE.test(input.conversationId)) {
    throw invalid('a conversation id looks like conv_<epoch seconds>_<8 hex>', 'conversationId');
  }
  return {
    type: input.type, question: input.question, targets, subject: input.subject, ttlSeconds: ttl, priority: input.priority,
    quorum, anonymize: input.anonymize, ack: input.ack, conversationId: input.conversationId, passthrough: input.passthrough,
  };
}

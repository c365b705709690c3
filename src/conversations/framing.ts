/**
 * How each conversation type frames its question (bash §6.2, with the same prefixes so agents that
 * learnt bash's conventions recognise them), the subject that lets any reply find the conversation,
 * and the escalation convention.
 *
 * Escalation convention: a level passes the issue on by answering with a body that STARTS with
 * `ESCALATE` or `CANNOT RESOLVE` (any case, leading blanks ignored, `CANNOT_RESOLVE` too). Any other
 * answer resolves the escalation. Not answering before the level's time-out passes it on as well.
 */
import type { ConversationType } from '../ports/conversation-repo.ts';
import { CONVERSATION_ID_RE } from '../protocol/ids.ts';

export const ESCALATE_MARKERS = ['ESCALATE', 'CANNOT RESOLVE'] as const;
const ESCALATE_RE = /^\s*(?:escalate|cannot[ _]resolve)(?![a-z0-9])/i;

/** True when an escalation answer asks for the next level. */
export function asksToEscalate(body: string): boolean {
  return ESCALATE_RE.test(body);
}

export interface FrameOptions {
  /** broadcast: acknowledgements requested. */
  ack: boolean;
  /** escalation: this round's level (1-based) and the whole chain. */
  escalation?: { level: number; chain: readonly string[] } | undefined;
}

const SUFFIX = {
  collab: 'This is a collaborative discussion. Share your analysis, findings, or perspective. Your response will be shared with all other participants in subsequent rounds.',
  opinion: 'We are gathering diverse viewpoints. Give your own opinion and your reasons, even if you expect others to disagree; differing perspectives are the point.',
  brainstorm: 'This is open ideation: suggest as many ideas as you can, including unusual ones. Quantity and variety matter more than polish; ideas will be shared with the other participants.',
  ack: 'Please acknowledge receipt by replying (any reply counts as an acknowledgement).',
} as const;

export function frameQuestion(type: ConversationType, question: string, o: FrameOptions): string {
  switch (type) {
    case 'rally':
      return question;
    case 'collab':
      return `[COLLAB] ${question}\n\n${SUFFIX.collab}`;
    case 'opinion':
      return `[OPINION REQUESTED] ${question}\n\n${SUFFIX.opinion}`;
    case 'brainstorm':
      return `[BRAINSTORM] ${question}\n\n${SUFFIX.brainstorm}`;
    case 'broadcast':
      return o.ack ? `[BROADCAST - ACK REQUIRED] ${question}\n\n${SUFFIX.ack}` : `[BROADCAST] ${question}`;
    case 'escalation': {
      const chain = o.escalation?.chain ?? [];
      const level = o.escalation?.level ?? 1;
      const next = chain[level];
      const role = next === undefined
        ? 'You are the last level of the chain.'
        : `If you cannot resolve it, answer starting with ESCALATE (or CANNOT RESOLVE) and it goes to ${next}.`;
      return `[ESCALATION] ${question}\n\n⚠️ This is an escalation, level ${level} of ${chain.length} (chain: ${chain.join(' → ')}).\n` +
        `Your role: resolve the issue and answer with your findings. ${role}`;
    }
  }
}

/** The subject of every message of a conversation: `[conv_…] <subject>` (how replies without ids still correlate). */
export function conversationSubject(conversationId: string, subject: string): string {
  return `[${conversationId}] ${subject}`;
}

const SUBJECT_PREFIX_RE = /^\s*(?:(?:re|fwd?|aw)\s*:\s*)*\[(conv_\d{1,20}_[0-9a-f]{8})\]/i;

/** The conversation id of a `[conv_…]` subject prefix, after any `Re:`/`Fwd:`; null without one. */
export function conversationIdFromSubject(subject: string): string | null {
  const id = SUBJECT_PREFIX_RE.exec(subject.slice(0, 300))?.[1];
  return id !== undefined && CONVERSATION_ID_RE.test(id) ? id : null;
}

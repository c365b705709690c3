/**
 * Turning what a caller asks for (`mesh rally`/`converse`, the SDK's `rally`, the MCP `rally` tool)
 * into the conversations service's OpenRoundInput: the conversation id is checked, the agents are
 * resolved (`a,b`, `all`, `@group`; a follow-up round of a conversation this node started asks its
 * participants again unless told otherwise), encryption is checked for the attachments before any
 * file is copied for serving, and files are attached for the round's lifetime.
 */
import type { ConversationType } from '../ports/conversation-repo.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { CONVERSATION_ID_RE } from '../protocol/ids.ts';
import { attachFile } from './attachments.ts';
import type { MeshNode } from './mesh-node.ts';
import { DEFAULT_TTL_SECONDS_BY_TYPE, type ConversationService, type OpenRoundInput } from './node-conversations.ts';
import { checkTargetAttachmentEncryption, resolveTargets } from './send-message.ts';

export interface RoundAsk {
  /** undefined: a rally (the existing conversation's type, else rally). */
  type?: ConversationType | undefined;
  question: string;
  /** `a,b`, `all` or `@group`; default: a follow-up's participants, else `defaultAgents`. */
  agents?: string | undefined;
  /** Used when neither `agents` nor a follow-up says (bash converse: all). */
  defaultAgents?: string | undefined;
  /** Open the next round of this conversation. */
  conversationId?: string | undefined;
  subject?: string | undefined;
  ttlSeconds?: number | undefined;
  priority?: string | undefined;
  quorum?: number | undefined;
  anonymize?: boolean | undefined;
  /** broadcast: ask for acknowledgements. */
  ack?: boolean | undefined;
  encrypt?: boolean | undefined;
  /** Paths of files to attach to every request (read by this process: callers decide who may name them). */
  files?: readonly string[] | undefined;
}

export function roundInput(node: MeshNode, conversations: ConversationService, ask: RoundAsk): OpenRoundInput {
  const { conversationId } = ask;
  if (conversationId !== undefined && !CONVERSATION_ID_RE.test(conversationId)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `${JSON.stringify(conversationId.slice(0, 60))} is not a conversation id (conv_<epoch seconds>_<8 hex>; see mesh conv list)`);
  }
  const existing = conversationId === undefined ? null : conversations.get(conversationId)?.conversation ?? null;
  const agents = ask.agents ?? (existing?.role === 'initiator' ? existing.participants.join(',') : ask.defaultAgents);
  if (agents === undefined) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'say who to ask: --agents a,b | all | @group');
  }
  const targets = resolveTargets(node, agents);
  const { ttlSeconds, quorum } = ask;
  const encrypt = ask.encrypt === true;
  const files = ask.files ?? [];
  checkTargetAttachmentEncryption(node, targets.join(','), { encrypt }, files.length);
  const type = ask.type ?? existing?.type ?? 'rally';
  const fileTtl = ttlSeconds ?? existing?.ttlSeconds ?? DEFAULT_TTL_SECONDS_BY_TYPE[type];
  const attachments = files.map((p) => attachFile(node, p, fileTtl));
  return {
    question: ask.question, targets, subject: ask.subject, ttlSeconds, priority: ask.priority, quorum,
    anonymize: ask.anonymize === true ? true : undefined, ack: ask.ack === true ? true : undefined, conversationId,
    passthrough: attachments.length > 0 || encrypt ? { attachments, encrypt } : undefined,
  };
}

/** Whether a round of this type has a consensus to analyse (escalations and broadcasts have none). */
export function roundHasConsensus(type: ConversationType): boolean {
  return type !== 'escalation' && type !== 'broadcast';
}

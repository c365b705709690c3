/**
 * The option and result types of the SDK (src/sdk/mesh.ts). Results are the node's own types, so the
 * SDK, the CLI and the local API report the same things under the same names.
 */
import type { Attachment, MessageType } from '../protocol/envelope.ts';
import type { JsonValue } from '../protocol/json.ts';
import type { Logger } from '../ports/logger.ts';
import type { ConversationType } from '../ports/conversation-repo.ts';
import type { RoundWaitEnd } from '../node/await-round.ts';
import type { MessageView } from '../node/inbox-view.ts';
import type { ConsensusReport, ConversationView, OpenRoundResult } from '../node/node-conversations.ts';

export interface OpenMeshOptions {
  /** The node's home folder. Default: $MESH_HOME (from `env`), else ~/.mesh. */
  home?: string | undefined;
  /** Environment to resolve the home and agent name from. Default: process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Where the node's own log lines go. Default: nowhere (the SDK never writes to the console). */
  logger?: Logger | undefined;
}

/** Options of one message, as `mesh send` has them (no dry run). */
export interface MessageOptions {
  subject?: string | undefined;
  priority?: string | undefined;
  /** Time to live in whole seconds, 1..2592000 (default 300): an expired message is never sent. */
  ttlSeconds?: number | undefined;
  correlationId?: string | undefined;
  conversationId?: string | undefined;
  /** Receivers deliver one message per (sender, key). */
  idempotencyKey?: string | undefined;
  /** payload.metadata: a JSON object. */
  metadata?: Record<string, JsonValue> | undefined;
  /** Echoed back by the responder. */
  replyContext?: JsonValue | undefined;
  /** Shorthand for session {"key": …}. */
  sessionKey?: string | undefined;
  /** URL or inline attachments. */
  attachments?: Attachment[] | undefined;
  /** Paths of files to attach (inline below 64 KiB, else served by this node's daemon for the TTL). */
  files?: string[] | undefined;
  /** Encrypt the body (and for aes-256-gcm peers the attachments) with the peer's key. */
  encrypt?: boolean | undefined;
  /** With `encrypt`: let attachments travel in clear to aes-256-cbc (bash) peers. */
  clearAttachments?: boolean | undefined;
  /** One attempt only: a failure goes straight to dead letters. */
  noRetry?: boolean | undefined;
}

export interface SendOptions extends MessageOptions {
  /** Default notification. */
  type?: MessageType | undefined;
}

export interface RequestOptions extends MessageOptions {
  /** How long to wait for the response (default 120 000 ms). */
  timeoutMs?: number | undefined;
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export type ReplyOptions = Pick<MessageOptions, 'subject' | 'metadata' | 'attachments' | 'files' | 'encrypt' | 'clearAttachments' | 'noRetry'>;

export interface InboxListOptions {
  unread?: boolean | undefined;
  from?: string | undefined;
  type?: string | undefined;
  /** Epoch milliseconds. */
  since?: number | undefined;
  /** A message id: only messages received after it (a cursor: oldest first). */
  after?: string | undefined;
  /** Default 100. */
  limit?: number | undefined;
}

/** What a message must be for `waitForMessage` (all given fields must match). */
export interface MessageMatch {
  from?: string | undefined;
  type?: string | undefined;
  correlationId?: string | undefined;
  conversationId?: string | undefined;
}

export interface WaitForMessageOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * Event-log position to wait from (a `subscribe` cursor, or `status().eventSeq`). Default: an unread
   * matching message already in the inbox is returned at once; otherwise the wait starts now.
   */
  after?: number | undefined;
  /** Mark the message read when it is returned (default false). */
  markRead?: boolean | undefined;
}

export interface RallyOptions {
  /** `a,b`, `all` or `@group`; a follow-up round defaults to the conversation's participants. */
  agents?: string | undefined;
  /** Open the next round of this conversation (it carries the earlier rounds as shared context). */
  conversationId?: string | undefined;
  /** Another conversation type (`mesh converse`): collab, escalation, broadcast, opinion, brainstorm. */
  type?: ConversationType | undefined;
  subject?: string | undefined;
  ttlSeconds?: number | undefined;
  priority?: string | undefined;
  /** The round is complete at this many answers. */
  quorum?: number | undefined;
  /** Later rounds share the answers without names. */
  anonymize?: boolean | undefined;
  /** broadcast: ask for acknowledgements. */
  ack?: boolean | undefined;
  encrypt?: boolean | undefined;
  files?: string[] | undefined;
  /** Wait this long for the round to end (answers, quorum or deadline); absent: return once asked. */
  waitMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface RallyResult {
  opened: OpenRoundResult;
  /** How the wait ended; null without `waitMs`. */
  end: RoundWaitEnd | null;
  /** The conversation as it stands now (answers are untrusted content from other agents). */
  conversation: ConversationView | null;
  /** The round's consensus after a wait (rally, collab, opinion, brainstorm); null otherwise. */
  consensus: ConsensusReport | null;
}

export type { MessageView };
export type { MessageDetail } from '../node/inbox-view.ts';
export type { ConsensusReport, ConversationView, OpenRoundResult, SetVerdictResult } from '../node/node-conversations.ts';
export type { PeersView } from '../node/peer-views.ts';
export type { StatusSnapshot } from '../node/status-snapshot.ts';
export type { ConversationRecord, ConversationType } from '../ports/conversation-repo.ts';

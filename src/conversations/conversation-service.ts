/**
 * The conversations service (ARCHITECTURE.md §3): rallies and the other conversation types, rounds
 * with shared context, response correlation, consensus and verdicts, lifecycle. Ports only; the
 * composition root (node/node-conversations.ts) wires it to the store, the outbound adapter, the
 * clock and the event and audit sinks. docs/conversations.md describes the behaviour.
 */
import type { ConversationRecord, ConversationSearch, ConversationType } from '../ports/conversation-repo.ts';
import type { ConversationDeps } from './conversation-deps.ts';
import {
  consensusOf, contextOf, getView, list, search, type ConsensusReport, type ConversationView,
} from './conversation-views.ts';
import type { InboundConversationMessage, InboundConversationResult } from './inbound-types.ts';
import {
  cleanup, nextDueAt, setStatus, stats, tick, type ConversationStatsView, type TickResult,
} from './lifecycle.ts';
import { onInbound } from './on-inbound.ts';
import { requestUndeliverable } from './round-requests.ts';
import type { OpenRoundInput } from './open-input.ts';
import { openRound, type OpenRoundResult } from './open-round.ts';
import { recordSideChannelResponse, type SideChannelResponse, type SideChannelResult } from './side-channel.ts';
import { setVerdict, type SetVerdictOptions, type SetVerdictResult } from './verdict.ts';

export interface ConversationService {
  /**
   * Opens a conversation (round 1, blind), or the next round of `input.conversationId`; commits the
   * round and its request ids, then sends to every target concurrently. Throws INVALID_ARGUMENT on
   * bad input, INVALID_STATE for a follow-up that is not allowed (participant, cancelled, escalation).
   * Delivery problems are per-target outcomes, not errors.
   */
  openRally(input: OpenRoundInput): Promise<OpenRoundResult>;
  /** `openRally` with the conversation type given (`mesh converse <type>`). */
  converse(type: ConversationType, input: Omit<OpenRoundInput, 'type'>): Promise<OpenRoundResult>;
  /**
   * A verified inbound message: a response/ack joins its round, a verdict notice is recorded, a
   * request naming a conversation is recorded as an invitation. Synchronous and store-only: call it
   * inside the inbound persist transaction. Never throws. It audits what it changed; when the result
   * says `escalationPending`, call `tick()` after the commit to ask the next level now.
   */
  onInbound(msg: InboundConversationMessage): InboundConversationResult;
  /**
   * An answer posted to the local API's side channel (bash's `/api/mesh/response`): recorded in the
   * current round as unverified, never counted (side-channel.ts). NOT_FOUND for a conversation this
   * node did not start, INVALID_ARGUMENT for a sender that is not a participant.
   */
  recordSideChannelResponse(input: SideChannelResponse): SideChannelResult;
  /** Records a verdict on the basis of the round's counted responses; a participant also sends it to the initiator. */
  setVerdict(conversationId: string, verdict: string, summary?: string | null, opts?: SetVerdictOptions): Promise<SetVerdictResult>;
  /**
   * The outbox gave up on a message later (dead-lettered or expired after its first attempt): if it
   * was a conversation request, its round stops waiting for that agent. True when an escalation now
   * waits for its next level (call `tick()`).
   */
  requestUndeliverable(messageId: string, status: 'dead_lettered' | 'expired', error?: string | null): boolean;
  /** Time-outs and escalation steps due at `now` (default: the clock). */
  tick(now?: number): Promise<TickResult>;
  /** When `tick` next has work; null when no conversation is active. */
  nextDueAt(): number | null;
  complete(conversationId: string, reason?: string): ConversationRecord;
  close(conversationId: string, reason?: string): ConversationRecord;
  cancel(conversationId: string, reason?: string): ConversationRecord;
  /** Deletes conversations finished more than `days` days ago; returns their ids. */
  cleanup(days: number): string[];
  stats(): ConversationStatsView;
  get(conversationId: string): ConversationView | null;
  /** Newest first; closed and cancelled only with `all`. */
  list(opts?: { all?: boolean; limit?: number }): ConversationRecord[];
  search(filter: ConversationSearch): ConversationRecord[];
  /** The shared-context block of every round so far, as the next round would carry it ('' before round 1). */
  context(conversationId: string): string;
  consensus(conversationId: string, opts?: { round?: number | undefined }): ConsensusReport;
}

export function createConversationService(deps: ConversationDeps): ConversationService {
  return {
    openRally: (input) => openRound(deps, input),
    converse: (type, input) => openRound(deps, { ...input, type }),
    onInbound: (msg) => onInbound(deps, msg),
    requestUndeliverable: (messageId, status, error) => requestUndeliverable(deps, messageId, status, error ?? null),
    recordSideChannelResponse: (input) => recordSideChannelResponse(deps, input),
    setVerdict: (id, verdict, summary = null, opts = {}) => setVerdict(deps, id, verdict, summary, opts),
    tick: (now) => tick(deps, now),
    nextDueAt: () => nextDueAt(deps),
    complete: (id, reason) => setStatus(deps, id, 'complete', reason),
    close: (id, reason) => setStatus(deps, id, 'closed', reason),
    cancel: (id, reason) => setStatus(deps, id, 'cancelled', reason),
    cleanup: (days) => cleanup(deps, days),
    stats: () => stats(deps),
    get: (id) => getView(deps, id),
    list: (opts) => list(deps, opts),
    search: (filter) => search(deps, filter),
    context: (id) => contextOf(deps, id),
    consensus: (id, opts) => consensusOf(deps, id, opts),
  };
}

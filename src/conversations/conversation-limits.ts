/**
 * Defaults and limits of conversations, in one place. Sizes are UTF-8 bytes: bash peers build
 * envelopes from process arguments, which fail past ~128 KiB, so a request (question + shared
 * context + framing) must stay well under that.
 */
import type { ConversationType } from '../ports/conversation-repo.ts';

/** bash §6.2 defaults; escalation's applies to each level. */
export const DEFAULT_TTL_SECONDS_BY_TYPE: Readonly<Record<ConversationType, number>> = {
  rally: 300,
  collab: 600,
  opinion: 600,
  brainstorm: 900,
  escalation: 600,
  broadcast: 120,
};
export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 7 * 24 * 3600;

export const MAX_QUESTION_BYTES = 48 * 1024;
export const MAX_SUBJECT_CHARS = 200;
/** Subject derived from the question when none is given (bash cuts escalation/broadcast subjects at 60 bytes). */
export const DEFAULT_SUBJECT_BYTES = 60;
export const MAX_TARGETS = 100;
export const MAX_VERDICT_CHARS = 200;
export const MAX_SUMMARY_CHARS = 2000;
export const MAX_REASON_CHARS = 500;
export const MAX_SEARCH_QUERY_CHARS = 500;
/** A verdict notification may rest on at most this many responses. */
export const MAX_VERDICT_BASIS = 1000;

/** Shared context: the whole block, one answer, one question. */
export const CONTEXT_MAX_BYTES = 32 * 1024;
export const CONTEXT_ANSWER_MAX_BYTES = 2000;
export const CONTEXT_QUESTION_MAX_BYTES = 1000;

/** The scheduler's work list is read in pages of this many conversations. */
export const TICK_BATCH = 500;

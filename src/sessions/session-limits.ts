/**
 * Defaults and limits of collaborative sessions, in one place. The two settings a user tunes are
 * bash's (MESH_MAX_SESSION_MESSAGES, MESH_SESSION_TTL_HOURS; config/mesh.json `sessions`); the rest
 * bound what a peer can make this node store or send.
 */

/** bash MESH_MAX_SESSION_MESSAGES: a session keeps its newest this many messages. */
export const DEFAULT_SESSION_MAX_MESSAGES = 50;
/** bash MESH_SESSION_TTL_HOURS: a session expires after this long without a message. */
export const DEFAULT_SESSION_TTL_HOURS = 24;

/** Settings that follow config/mesh.json (and the bash environment variables). */
export interface SessionSettings {
  maxMessages: number;
  ttlMs: number;
}

export const HOUR_MS = 3_600_000;

/** A node keeps at most this many sessions; a peer's message naming yet another key is not recorded. */
export const MAX_SESSIONS = 1000;
/** Participants of one session (a peer's `metadata.participants` cannot grow it past this). */
export const MAX_SESSION_PARTICIPANTS = 32;
/** A stored message body is cut (visibly) at this many UTF-8 bytes; the inbox keeps the whole one. */
export const SESSION_BODY_MAX_BYTES = 16 * 1024;
export const SESSION_SUBJECT_MAX_CHARS = 200;
/** A message `session send` composes (before the prior-conversation block). */
export const SESSION_MESSAGE_MAX_BYTES = 48 * 1024;

/** bash: `metadata.sessionContext` holds the last 10 messages… */
export const METADATA_CONTEXT_MESSAGES = 10;
/** …each body cut at this many bytes here, so the metadata stays well under a receiver's body limit. */
export const METADATA_CONTEXT_BODY_MAX_BYTES = 2000;
/** bash: the body's prior-conversation block lists up to 9 earlier messages, each cut at 200 characters. */
export const PRIOR_MESSAGES_IN_BODY = 9;
export const PRIOR_BODY_MAX_CHARS = 200;

/** `mesh session context <key> [max]` default (bash: 20). */
export const DEFAULT_CONTEXT_MESSAGES = 20;
/** Default TTL of a session request (bash mesh-send's default). */
export const DEFAULT_SESSION_SEND_TTL_SECONDS = 300;

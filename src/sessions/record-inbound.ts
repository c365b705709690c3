/**
 * A verified inbound message that names a session (`session.key`, as bash's `--session-key` sends it)
 * joins that session: created if new, its sender and recipient (and the names the sender listed in
 * `payload.metadata.participants`, bash `session send`'s metadata) become participants, the message is
 * appended and the session keeps its newest `maxMessages`. bash's `mesh-session-router.sh receive`
 * does the same from the agent's side; here the inbound pipeline does it for every accepted message.
 *
 * Runs inside the pipeline's persist transaction: synchronous, store only, its own work a nested
 * transaction, so a failure here is logged and never refuses the message. Bounded against hostile
 * peers: keys are validated, bodies cut, participants capped, and no new session past MAX_SESSIONS.
 */
import type { AcceptedMessage } from '../ports/inbound-observer.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { isValidAgentName } from '../protocol/names.ts';
import { errorName, hasRoomForSession, withParticipants, type SessionDeps } from './session-deps.ts';
import { isValidSessionKey } from './session-key.ts';
import { SESSION_BODY_MAX_BYTES, SESSION_SUBJECT_MAX_CHARS } from './session-limits.ts';
import { clipBytes, clipChars } from './session-text.ts';

export type SessionInboundResult =
  | { recorded: true; key: string; created: boolean; participants: string[]; messageCount: number }
  | { recorded: false; key: string | null; reason: 'no_session' | 'invalid_key' | 'too_many_sessions' | 'internal_error' };

/** The valid agent names of `metadata.participants` (anything else in it is ignored). */
function listedParticipants(metadata: JsonValue): string[] {
  const list = getField(metadata, 'participants');
  if (!Array.isArray(list)) return [];
  return list.filter((p): p is string => typeof p === 'string' && isValidAgentName(p));
}

export function recordInbound(deps: SessionDeps, msg: AcceptedMessage): SessionInboundResult {
  const env = msg.envelope;
  const key = getField(env.session, 'key');
  if (key === undefined || key === null) return { recorded: false, key: null, reason: 'no_session' };
  if (!isValidSessionKey(key)) {
    deps.logger.warn('sessions: a message with an invalid session key was not recorded in a session', { id: env.id, from: env.from });
    return { recorded: false, key: null, reason: 'invalid_key' };
  }
  try {
    return deps.store.transaction(() => {
      const now = deps.clock.now();
      const existing = deps.store.sessions.get(key);
      if (existing === null && !hasRoomForSession(deps)) {
        deps.logger.warn('sessions: session limit reached; a message naming a new session was not recorded in it', { id: env.id, from: env.from });
        return { recorded: false, key, reason: 'too_many_sessions' } as const;
      }
      const base = existing ?? { key, status: 'active' as const, participants: [], createdAt: now, lastActivity: now };
      const { participants } = withParticipants(base.participants, [env.from, env.to, ...listedParticipants(env.payload.metadata)]);
      deps.store.sessions.put({ ...base, participants, lastActivity: now });
      deps.store.sessions.appendMessage({
        sessionKey: key,
        from: env.from,
        to: env.to,
        type: env.type,
        subject: clipChars(env.payload.subject, SESSION_SUBJECT_MAX_CHARS),
        body: clipBytes(msg.body, SESSION_BODY_MAX_BYTES),
        messageId: env.id,
        correlationId: env.correlationId,
        ts: now,
      }, deps.settings().maxMessages);
      if (existing === null) deps.events.emit({ type: 'session.status', key, status: 'active', participants });
      deps.events.emit({ type: 'session.message', key, direction: 'in', from: env.from, to: env.to, messageId: env.id });
      return { recorded: true, key, created: existing === null, participants, messageCount: deps.store.sessions.messages(key).length } as const;
    });
  } catch (e) {
    deps.logger.error('sessions: inbound message not recorded in its session', { id: env.id, error: errorName(e) });
    return { recorded: false, key, reason: 'internal_error' };
  }
}

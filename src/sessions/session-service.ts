/**
 * Collaborative sessions (bash `mesh-session-router.sh`, bash-mesh-behavior.md §6.9): a named group
 * conversation keyed by the envelope's `session.key`, so bash peers take part unchanged. Ports only;
 * the composition root (node/node-sessions.ts) wires it to the store, the clock, the event log and
 * `mesh send` as its outbound port.
 *
 * `send` is bash's `send`: the named agent joins, the message is recorded once, and **one** request
 * goes to every other participant (bash's mesh-collab called `send` once per agent, and each of those
 * fanned out to everyone: N² messages per round). Each request carries `session: {"key": …}` and
 * bash's `metadata {sessionContext, sessionKey, participants}`; from the second message on its body
 * starts with the prior conversation (session-text.ts).
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { AcceptedMessage } from '../ports/inbound-observer.ts';
import type { SessionDeliveryOutcome } from '../ports/session-outbound.ts';
import type { SessionMessage } from '../ports/store.ts';
import { assertAgentName } from '../protocol/names.ts';
import { recordInbound, type SessionInboundResult } from './record-inbound.ts';
import {
  hasRoomForSession, invalid, sessionNotFound, viewOf, withParticipants, type SessionDeps, type SessionView,
} from './session-deps.ts';
import { assertSessionKey } from './session-key.ts';
import {
  DEFAULT_CONTEXT_MESSAGES, DEFAULT_SESSION_SEND_TTL_SECONDS, MAX_SESSION_PARTICIPANTS, METADATA_CONTEXT_BODY_MAX_BYTES,
  METADATA_CONTEXT_MESSAGES, PRIOR_MESSAGES_IN_BODY, SESSION_BODY_MAX_BYTES, SESSION_MESSAGE_MAX_BYTES,
  SESSION_SUBJECT_MAX_CHARS,
} from './session-limits.ts';
import { clipBytes, clipChars, composeSendBody, formatContext, oneLine } from './session-text.ts';

const MAX_TTL_SECONDS = 7 * 24 * 3600;

export interface SessionSendInput {
  key: string;
  /** The participant addressed (joins the session); everyone else in it receives the message too. */
  agent: string;
  message: string;
  subject?: string | undefined;
  ttlSeconds?: number | undefined;
  priority?: string | undefined;
}

export interface SessionRecipient {
  agent: string;
  /** Envelope id of the request sent to this participant. */
  id: string;
  outcome: SessionDeliveryOutcome;
}

export interface SessionSendResult {
  key: string;
  participants: string[];
  messageCount: number;
  recipients: SessionRecipient[];
}

export interface SessionService {
  /** Creates the session (this node first among its participants), or reopens it; adds the agents. */
  start(key: string, agents: readonly string[]): SessionView;
  /** Records the message, then sends one request to each other participant, concurrently. */
  send(input: SessionSendInput): Promise<SessionSendResult>;
  /** A verified inbound message (the inbound observer): joins its session if it names one. Never throws. */
  recordInbound(message: AcceptedMessage): SessionInboundResult;
  get(key: string): SessionView | null;
  /** The newest `max` messages (default all kept), oldest first. */
  messages(key: string, max?: number): SessionMessage[];
  /** bash `context <key> [max=20]`: header, participants, the newest `max` messages. NOT_FOUND if unknown. */
  context(key: string, max?: number): string;
  /** Active, unexpired sessions; with `all`, closed and expired ones too. Oldest first. */
  list(opts?: { all?: boolean }): SessionView[];
  close(key: string): SessionView;
  /** Deletes the sessions without a message for longer than the TTL (any status); returns their keys. */
  cleanup(): string[];
}

function checkSendInput(deps: SessionDeps, i: SessionSendInput): { key: string; agent: string; subject: string; ttlSeconds: number; priority: string } {
  const key = assertSessionKey(i.key);
  const agent = assertAgentName(i.agent, 'agent');
  if (agent === deps.self) throw invalid(`"${agent}" is this node: name another participant`, 'agent');
  if (i.message.trim() === '') throw invalid('the message is empty', 'message');
  if (Buffer.byteLength(i.message, 'utf8') > SESSION_MESSAGE_MAX_BYTES) throw invalid(`the message is larger than ${SESSION_MESSAGE_MAX_BYTES} bytes`, 'message');
  const subject = i.subject === undefined ? clipChars(oneLine(i.message.trim()), 80) : oneLine(i.subject);
  if (subject.length > SESSION_SUBJECT_MAX_CHARS) throw invalid(`the subject is longer than ${SESSION_SUBJECT_MAX_CHARS} characters`, 'subject');
  const ttlSeconds = i.ttlSeconds ?? DEFAULT_SESSION_SEND_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) throw invalid(`ttl must be whole seconds, 1..${MAX_TTL_SECONDS}`, 'ttl');
  return { key, agent, subject, ttlSeconds, priority: i.priority ?? 'normal' };
}

async function send(deps: SessionDeps, input: SessionSendInput): Promise<SessionSendResult> {
  const i = checkSendInput(deps, input);
  const { store, self } = deps;
  // Recorded (and the requests composed) in one transaction, sent after it commits.
  const prepared = store.transaction(() => {
    const now = deps.clock.now();
    const existing = store.sessions.get(i.key);
    if (existing?.status === 'closed') {
      throw new MeshError(MeshErrorCode.InvalidState, `session "${i.key}" is closed: reopen it with mesh session start ${i.key}`, { details: { key: i.key } });
    }
    if (existing === null && !hasRoomForSession(deps)) throw invalid('this node keeps too many sessions: run mesh session cleanup, or close some', 'key');
    const base = existing ?? { key: i.key, status: 'active' as const, participants: [self], createdAt: now, lastActivity: now };
    const { participants, dropped } = withParticipants(base.participants, [self, i.agent]);
    if (dropped.length > 0) throw invalid(`a session has at most ${MAX_SESSION_PARTICIPANTS} participants`, 'agent');
    const recipients = participants.filter((p) => p !== self);
    store.sessions.put({ ...base, participants, lastActivity: now });
    store.sessions.appendMessage({
      sessionKey: i.key, from: self, to: recipients.join(','), type: 'request', subject: i.subject,
      body: clipBytes(input.message, SESSION_BODY_MAX_BYTES), messageId: null, correlationId: null, ts: now,
    }, deps.settings().maxMessages);
    if (existing === null) deps.events.emit({ type: 'session.status', key: i.key, status: 'active', participants });
    deps.events.emit({ type: 'session.message', key: i.key, direction: 'out', from: self, to: recipients.join(','), messageId: null });
    const all = store.sessions.messages(i.key);
    const body = composeSendBody({
      key: i.key, self, participants, messageCount: all.length, prior: all.slice(0, -1).slice(-PRIOR_MESSAGES_IN_BODY), message: input.message,
    });
    const metadata = {
      sessionContext: all.slice(-METADATA_CONTEXT_MESSAGES).map((m) => ({
        from: m.from, to: m.to, body: clipBytes(m.body, METADATA_CONTEXT_BODY_MAX_BYTES), timestamp: new Date(m.ts).toISOString(),
      })),
      sessionKey: i.key,
      participants,
    };
    return { participants, recipients, body, metadata, messageCount: all.length };
  });
  const sent = await Promise.all(prepared.recipients.map(async (agent): Promise<SessionRecipient> => {
    const id = deps.ids.messageId();
    const outcome = await deps.outbound.send({
      id, target: agent, body: prepared.body, subject: i.subject, sessionKey: i.key, metadata: prepared.metadata,
      ttlSeconds: i.ttlSeconds, priority: i.priority,
    });
    return { agent, id, outcome };
  }));
  return { key: i.key, participants: prepared.participants, messageCount: prepared.messageCount, recipients: sent };
}

function start(deps: SessionDeps, rawKey: string, agents: readonly string[]): SessionView {
  const key = assertSessionKey(rawKey);
  const names = agents.map((a) => assertAgentName(a, 'agent'));
  return deps.store.transaction(() => {
    const now = deps.clock.now();
    const existing = deps.store.sessions.get(key);
    if (existing === null && !hasRoomForSession(deps)) throw invalid('this node keeps too many sessions: run mesh session cleanup, or close some', 'key');
    const base = existing ?? { key, status: 'active' as const, participants: [deps.self], createdAt: now, lastActivity: now };
    const { participants, dropped } = withParticipants(base.participants, [deps.self, ...names]);
    if (dropped.length > 0) throw invalid(`a session has at most ${MAX_SESSION_PARTICIPANTS} participants`, 'agent');
    const record = { ...base, status: 'active' as const, participants, lastActivity: now };
    deps.store.sessions.put(record);
    if (existing === null || existing.status === 'closed' || participants.length !== existing.participants.length) {
      deps.events.emit({ type: 'session.status', key, status: 'active', participants });
    }
    return viewOf(deps, record);
  });
}

function close(deps: SessionDeps, key: string): SessionView {
  return deps.store.transaction(() => {
    const s = deps.store.sessions.get(key);
    if (s === null) throw sessionNotFound(key);
    const record = { ...s, status: 'closed' as const };
    deps.store.sessions.put(record);
    if (s.status !== 'closed') deps.events.emit({ type: 'session.status', key, status: 'closed', participants: s.participants });
    return viewOf(deps, record);
  });
}

function cleanup(deps: SessionDeps): string[] {
  return deps.store.transaction(() => {
    const before = deps.clock.now() - deps.settings().ttlMs;
    const doomed = deps.store.sessions.list().filter((s) => s.lastActivity < before);
    for (const s of doomed) {
      deps.store.sessions.delete(s.key);
      deps.events.emit({ type: 'session.status', key: s.key, status: 'deleted', participants: s.participants });
    }
    return doomed.map((s) => s.key);
  });
}

function contextLimit(max: number | undefined): number {
  const n = max ?? DEFAULT_CONTEXT_MESSAGES;
  if (!Number.isInteger(n) || n < 1) throw invalid('max must be a whole number of messages, at least 1', 'max');
  return n;
}

export function createSessionService(deps: SessionDeps): SessionService {
  const messages = (key: string, max?: number): SessionMessage[] => deps.store.sessions.messages(key, max === undefined ? undefined : contextLimit(max));
  return {
    start: (key, agents) => start(deps, key, agents),
    send: (input) => send(deps, input),
    recordInbound: (message) => recordInbound(deps, message),
    get: (key) => {
      const s = deps.store.sessions.get(key);
      return s === null ? null : viewOf(deps, s);
    },
    messages,
    context: (key, max) => {
      const s = deps.store.sessions.get(key);
      if (s === null) throw sessionNotFound(key);
      return formatContext(s, deps.store.sessions.messages(key, contextLimit(max)));
    },
    list: (opts = {}) => deps.store.sessions.list().map((s) => viewOf(deps, s))
      .filter((v) => opts.all === true || (v.status === 'active' && !v.expired)),
    close: (key) => close(deps, key),
    cleanup: () => cleanup(deps),
  };
}

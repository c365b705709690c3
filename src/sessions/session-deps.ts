/**
 * What the parts of the sessions service share: the ports, the settings (live: they follow
 * config/mesh.json), and the view of a session that commands print.
 */
import type { Clock } from '../ports/clock.ts';
import type { EventSink } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { SessionOutbound } from '../ports/session-outbound.ts';
import type { SessionRecord, Store } from '../ports/store.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { IdGenerator } from '../protocol/ids.ts';
import { MAX_SESSION_PARTICIPANTS, MAX_SESSIONS, type SessionSettings } from './session-limits.ts';

export interface SessionDeps {
  /** This node's agent name. */
  self: string;
  store: Store;
  outbound: SessionOutbound;
  clock: Clock;
  ids: IdGenerator;
  events: EventSink;
  logger: Logger;
  settings(): SessionSettings;
}

export interface SessionView {
  key: string;
  status: SessionRecord['status'];
  /** Active, but without a message for longer than the session TTL (cleanup deletes it). */
  expired: boolean;
  participants: string[];
  createdAt: number;
  lastActivity: number;
  messageCount: number;
}

export function viewOf(deps: SessionDeps, s: SessionRecord): SessionView {
  return {
    key: s.key,
    status: s.status,
    expired: s.status === 'active' && deps.clock.now() - s.lastActivity > deps.settings().ttlMs,
    participants: [...s.participants],
    createdAt: s.createdAt,
    lastActivity: s.lastActivity,
    messageCount: deps.store.sessions.messages(s.key).length,
  };
}

/** `participants` with `more` appended (each once, in order), stopping at the participant limit. */
export function withParticipants(participants: readonly string[], more: readonly string[]): { participants: string[]; dropped: string[] } {
  const out = [...participants];
  const dropped: string[] = [];
  for (const p of more) {
    if (out.includes(p)) continue;
    if (out.length >= MAX_SESSION_PARTICIPANTS) dropped.push(p);
    else out.push(p);
  }
  return { participants: out, dropped };
}

/** Whether another session may be created (the node keeps at most MAX_SESSIONS). */
export function hasRoomForSession(deps: SessionDeps): boolean {
  return deps.store.sessions.list().length < MAX_SESSIONS;
}

export function sessionNotFound(key: string): MeshError {
  return new MeshError(MeshErrorCode.NotFound, `no session "${key.slice(0, 128)}" (see mesh session list --all)`, { details: { key: key.slice(0, 128) } });
}

export function invalid(message: string, field?: string): MeshError {
  return new MeshError(MeshErrorCode.InvalidArgument, message, field === undefined ? {} : { details: { field } });
}

/** A short, secret-free name for an unexpected error (its code or class), for logs. */
export function errorName(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (e as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return typeof e;
}

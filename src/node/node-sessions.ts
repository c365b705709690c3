/**
 * The sessions service of a node, created on first use: wired to the node's store, clock, ids and
 * event bus, to `mesh send` as its outbound port, and to the `sessions` settings of config/mesh.json
 * (read per use, so a changed file applies to the next message).
 */
import { HOUR_MS } from '../sessions/session-limits.ts';
import { createSessionService, type SessionService } from '../sessions/session-service.ts';
import type { MeshNode } from './mesh-node.ts';
import { createSessionOutbound } from './session-outbound.ts';

export type { SessionView } from '../sessions/session-deps.ts';
export type { SessionRecipient, SessionSendResult, SessionService } from '../sessions/session-service.ts';

const services = new WeakMap<MeshNode, SessionService>();

export function sessionsOf(node: MeshNode): SessionService {
  let s = services.get(node);
  if (s === undefined) {
    s = createSessionService({
      self: node.self,
      store: node.store,
      outbound: createSessionOutbound(node),
      clock: node.clock,
      ids: node.ids,
      events: node.events,
      logger: node.logger,
      settings: () => ({ maxMessages: node.config.sessions.maxMessages, ttlMs: node.config.sessions.ttlHours * HOUR_MS }),
    });
    services.set(node, s);
  }
  return s;
}

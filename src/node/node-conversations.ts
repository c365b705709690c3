/**
 * The conversations service of a node, created on first use (only commands and daemon parts that
 * deal with conversations load it): wired to the node's store, clock, ids, event bus and audit log,
 * and to `mesh send` as its outbound port.
 */
import { createConversationService, type ConversationService } from '../conversations/conversation-service.ts';
import { createConversationOutbound } from './conversation-outbound.ts';
import type { MeshNode } from './mesh-node.ts';

const services = new WeakMap<MeshNode, ConversationService>();

export function conversationsOf(node: MeshNode): ConversationService {
  let s = services.get(node);
  if (s === undefined) {
    s = createConversationService({
      self: node.self,
      store: node.store,
      outbound: createConversationOutbound(node),
      clock: node.clock,
      ids: node.ids,
      events: node.events,
      audit: node.audit,
      logger: node.logger,
    });
    services.set(node, s);
  }
  return s;
}

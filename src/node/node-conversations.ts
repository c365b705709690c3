/**
 * The conversations service of a node, created on first use (only commands and daemon parts that
 * deal with conversations load it): wired to the node's store, clock, ids, event bus and audit log,
 * and to `mesh send` as its outbound port. The CLI sees the service's types through here (it may
 * not import conversations/ itself).
 */
import { createConversationService, type ConversationService } from '../conversations/conversation-service.ts';
import { createConversationOutbound } from './conversation-outbound.ts';
import type { MeshNode } from './mesh-node.ts';

export type { ConversationService } from '../conversations/conversation-service.ts';
export type { ConsensusReport, ConversationView, RoundView } from '../conversations/conversation-views.ts';
export type { ConsensusAnalysis, MajorityAnswer } from '../conversations/consensus.ts';
export type { ConversationStatsView, TickResult } from '../conversations/lifecycle.ts';
export type { OpenRoundInput } from '../conversations/open-input.ts';
export type { EscalationStep, OpenRoundResult } from '../conversations/open-round.ts';
export type { SetVerdictResult } from '../conversations/verdict.ts';
export { DEFAULT_TTL_SECONDS_BY_TYPE } from '../conversations/conversation-limits.ts';

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

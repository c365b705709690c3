/**
 * The inbound half of the composition root: the verification pipeline and the adapter that hands
 * verified messages to the local agent. Kept out of mesh-node.ts so that commands which only send
 * (the hot path of `mesh send`) never load the envelope schema (zod) or the hand-off adapters.
 * One pipeline and one adapter per node, created on first use.
 */
import type { AgentDelivery } from '../ports/agent-delivery.ts';
import type { RateLimit } from '../ports/rate-limit.ts';
import { createInboundPipeline } from '../inbound/inbound-pipeline.ts';
import type { InboundPipeline } from '../inbound/types.ts';
import { createHandlerCommandDelivery } from '../transports/handler/handler-command.ts';
import { createOpenClawForwarder } from '../transports/openclaw/openclaw-forwarder.ts';
import type { MeshNode } from './mesh-node.ts';

const pipelines = new WeakMap<MeshNode, InboundPipeline>();
const adapters = new WeakMap<MeshNode, AgentDelivery | null>();

/** The adapter that hands verified messages to the local agent, or null for inbox-only nodes. */
export function agentDeliveryOf(node: MeshNode): AgentDelivery | null {
  if (adapters.has(node)) return adapters.get(node) ?? null;
  const c = node.config;
  let adapter: AgentDelivery | null = null;
  if (c.inbound.handOff === 'handler' && c.handler) {
    adapter = createHandlerCommandDelivery({ command: c.handler.command, timeoutMs: c.handler.timeoutMs, logger: node.logger, cwd: node.layout.home });
  } else if (c.inbound.handOff === 'openclaw' && c.openclaw) {
    adapter = createOpenClawForwarder({
      transport: node.transport,
      gatewayUrl: c.openclaw.gatewayUrl,
      hookToken: c.openclaw.hookToken,
      allowedSessionKeyPrefixes: c.openclaw.allowedSessionKeyPrefixes,
      ...(c.openclaw.agentId ? { agentId: c.openclaw.agentId } : {}),
      timeoutMs: c.openclaw.timeoutMs,
    });
  }
  adapters.set(node, adapter);
  return adapter;
}

/**
 * A new inbound pipeline for the node (unwrap → schema → auth → window/TTL/age → decrypt → nonce →
 * rate → persist). The daemon builds its own with the per-sender rate limit it keeps in memory.
 */
export function createNodeInbound(node: MeshNode, senderRateLimit?: RateLimit): InboundPipeline {
  return createInboundPipeline({
    self: node.self,
    store: node.store,
    peers: node.registry,
    keys: node.keys,
    clock: node.clock,
    events: node.events,
    audit: node.audit,
    logger: node.logger,
    options: {
      replayWindowMs: node.config.inbound.replayWindowMs,
      maxMessageAgeMs: node.config.inbound.maxMessageAgeMs,
      futureSkewMs: node.config.inbound.futureSkewMs,
      acceptUnknownSenders: node.config.inbound.acceptUnknownSenders,
      handOff: agentDeliveryOf(node) !== null,
    },
    ...(senderRateLimit === undefined ? {} : { senderRateLimit }),
  });
}

/** The node's shared pipeline for one-shot commands (`mesh receive`, `mesh reply`): no rate limit. */
export function inboundOf(node: MeshNode): InboundPipeline {
  let p = pipelines.get(node);
  if (p === undefined) {
    p = createNodeInbound(node);
    pipelines.set(node, p);
  }
  return p;
}

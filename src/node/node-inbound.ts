/**
 * The inbound half of the composition root: the verification pipeline and the adapter that hands
 * verified messages to the local agent. Kept out of mesh-node.ts so that commands which only send
 * (the hot path of `mesh send`) never load the envelope schema (zod) or the hand-off adapters.
 * One pipeline and one adapter per node, created on first use.
 */
import type { AgentDelivery, HandOff } from '../ports/agent-delivery.ts';
import { createInboundPipeline } from '../inbound/inbound-pipeline.ts';
import type { InboundPipeline } from '../inbound/types.ts';
import { createHandlerCommandDelivery } from '../transports/handler/handler-command.ts';
import { createOpenClawForwarder } from '../transports/openclaw/openclaw-forwarder.ts';
import type { MeshNode } from './mesh-node.ts';
import { receivedAttachments } from './received-attachments.ts';

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
  if (adapter !== null) adapter = withDecryptedAttachments(node, adapter);
  adapters.set(node, adapter);
  return adapter;
}

/**
 * Gives the agent the attachments that travelled inside the ciphertext: the hand-off is built from
 * the stored wire envelope (whose list is empty then), so they are taken from the inbox row.
 */
function withDecryptedAttachments(node: MeshNode, inner: AgentDelivery): AgentDelivery {
  return {
    name: inner.name,
    deliver(h: HandOff) {
      if (h.attachments !== undefined || h.envelope.payload.encrypted !== true) return inner.deliver(h);
      const row = node.store.inbox.get(h.envelope.id);
      if (row === null || row.sealedAttachments === null) return inner.deliver(h);
      return inner.deliver({ ...h, attachments: receivedAttachments(row) });
    },
  };
}

/** The node's inbound pipeline (unwrap → schema → auth → window/TTL/age → decrypt → nonce → persist). */
export function inboundOf(node: MeshNode): InboundPipeline {
  let p = pipelines.get(node);
  if (p === undefined) {
    p = createInboundPipeline({
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
    });
    pipelines.set(node, p);
  }
  return p;
}

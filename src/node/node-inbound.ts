/**
 * The inbound half of the composition root: the verification pipeline and the adapter that hands
 * verified messages to the local agent. Kept out of mesh-node.ts so that commands which only send
 * (the hot path of `mesh send`) never load the envelope schema (zod) or the hand-off adapters.
 * One pipeline per node; its options and the hand-off adapter follow config/mesh.json as it changes.
 */
import type { AgentDelivery } from '../ports/agent-delivery.ts';
import type { InboundObserver } from '../ports/inbound-observer.ts';
import type { RateLimit } from '../ports/rate-limit.ts';
import { createInboundPipeline } from '../inbound/inbound-pipeline.ts';
import type { InboundOptions, InboundPipeline } from '../inbound/types.ts';
import { createHandlerCommandDelivery } from '../transports/handler/handler-command.ts';
import { createOpenClawForwarder } from '../transports/openclaw/openclaw-forwarder.ts';
import type { MeshNode } from './mesh-node.ts';
import type { NodeConfig } from './node-config.ts';
import { conversationsOf } from './node-conversations.ts';
import { sessionsOf } from './node-sessions.ts';
import { fleetOf, forwardsRelayed } from './node-fleet.ts';

const pipelines = new WeakMap<MeshNode, InboundPipeline>();
/** The adapter per node, kept while the hand-off settings it was built from stay the same. */
const adapters = new WeakMap<MeshNode, { key: string; adapter: AgentDelivery | null }>();
const inboundOptions = new WeakMap<NodeConfig, InboundOptions>();

function buildAdapter(node: MeshNode, c: NodeConfig): AgentDelivery | null {
  if (c.inbound.handOff === 'handler' && c.handler) {
    return createHandlerCommandDelivery({ command: c.handler.command, timeoutMs: c.handler.timeoutMs, logger: node.logger, cwd: node.layout.home });
  }
  if (c.inbound.handOff === 'openclaw' && c.openclaw) {
    return createOpenClawForwarder({
      transport: node.transport,
      gatewayUrl: c.openclaw.gatewayUrl,
      hookToken: c.openclaw.hookToken,
      allowedSessionKeyPrefixes: c.openclaw.allowedSessionKeyPrefixes,
      ...(c.openclaw.agentId ? { agentId: c.openclaw.agentId } : {}),
      timeoutMs: c.openclaw.timeoutMs,
    });
  }
  return null;
}

/** The adapter that hands verified messages to the local agent now, or null for inbox-only nodes. */
export function agentDeliveryOf(node: MeshNode): AgentDelivery | null {
  const c = node.config;
  const key = JSON.stringify([c.inbound.handOff, c.handler, c.openclaw]);
  const cached = adapters.get(node);
  if (cached?.key === key) return cached.adapter;
  const adapter = buildAdapter(node, c);
  adapters.set(node, { key, adapter });
  if (cached !== undefined) node.logger.info('hand-off settings changed', { handOff: adapter === null ? 'inbox' : adapter.name });
  return adapter;
}

/**
 * The inbound options of the node's current configuration (the same object until it changes, or
 * until this node's forwarding changes with its registry role).
 */
function optionsOf(node: MeshNode): InboundOptions {
  const c = node.config;
  let o = inboundOptions.get(c);
  if (o === undefined || o.relayForwarding !== forwardsRelayed(node)) {
    o = {
      replayWindowMs: c.inbound.replayWindowMs,
      maxMessageAgeMs: c.inbound.maxMessageAgeMs,
      futureSkewMs: c.inbound.futureSkewMs,
      acceptUnknownSenders: c.inbound.acceptUnknownSenders,
      handOff: agentDeliveryOf(node) !== null,
      relayForwarding: forwardsRelayed(node),
    };
    inboundOptions.set(c, o);
  }
  return o;
}

/**
 * Accepted messages feed the node's conversations: a response joins its round, a participant's
 * verdict is recorded, an invitation is noted (inside the storing transaction). An escalation level
 * that passed the issue on gets the next level asked as soon as the message has committed.
 * A message that carries `session.key` also joins its collaborative session. Both are synchronous,
 * store-only and never throw (each does its work in a nested transaction).
 */
export function conversationObserver(node: MeshNode): InboundObserver {
  return {
    accepted(message) {
      // Relay-election announcements are the fleet's (fleet/fleet-service.ts), never a conversation's.
      const fleet = fleetOf(node);
      if (fleet.consumes(message.envelope)) {
        fleet.onInbound(message);
        return;
      }
      sessionsOf(node).recordInbound(message);
      const conversations = conversationsOf(node);
      const result = conversations.onInbound(message);
      if ('escalationPending' in result && result.escalationPending) {
        node.store.afterCommit(() => {
          conversations.tick().catch((e: unknown) => node.logger.error('conversations: escalation step failed', { error: (e as Error).name }));
        });
      }
    },
    consumes: (envelope) => fleetOf(node).consumes(envelope),
  };
}

/**
 * A new inbound pipeline for the node (unwrap → schema → auth → window/TTL/age → decrypt → nonce →
 * rate → persist). The daemon builds its own with the per-sender rate limit it keeps in memory.
 */
export function createNodeInbound(node: MeshNode, senderRateLimit?: RateLimit, o: { agentHasIt?: boolean } = {}): InboundPipeline {
  return createInboundPipeline({
    self: node.self,
    store: node.store,
    peers: node.registry,
    keys: node.keys,
    clock: node.clock,
    events: node.events,
    audit: node.audit,
    logger: node.logger,
    options: () => (o.agentHasIt === true ? agentHeldOptionsOf(node) : optionsOf(node)),
    observer: conversationObserver(node),
    ...(senderRateLimit === undefined ? {} : { senderRateLimit }),
  });
}

const agentHeldOptions = new WeakMap<InboundOptions, InboundOptions>();

/** optionsOf without hand-off: for messages the agent itself passes in (it already has them). */
function agentHeldOptionsOf(node: MeshNode): InboundOptions {
  const base = optionsOf(node);
  let o = agentHeldOptions.get(base);
  if (o === undefined) {
    o = { ...base, handOff: false };
    agentHeldOptions.set(base, o);
  }
  return o;
}

/**
 * The node's shared pipeline for one-shot commands (`mesh receive`, `mesh reply`, `mesh session
 * receive`): no rate limit, and nothing it records is queued for hand-off. The agent runs these with
 * a message it already holds (the direct topology: its gateway got the envelope); handing it off
 * as well would give it to the agent a second time.
 */
export function inboundOf(node: MeshNode): InboundPipeline {
  let p = pipelines.get(node);
  if (p === undefined) {
    p = createNodeInbound(node, undefined, { agentHasIt: true });
    pipelines.set(node, p);
  }
  return p;
}

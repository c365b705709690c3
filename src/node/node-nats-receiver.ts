/**
 * The daemon's NATS intake, wired (composition root): the NATS receiver adapter fed into this node's
 * inbound pipeline through a group commit, exactly as `POST /hooks/<sender>` is (node-http.ts): same
 * checks, same per-sender rate limit settings (a budget of its own), same storing transaction, and
 * the hand-off worker is woken for new messages. A body over `serve.maxBodyBytes` is refused before
 * it is parsed and audited `rejected_payload_too_large`.
 */
import type { InboundRequest, InboundResult } from '../inbound/types.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { startNatsReceiver, type NatsInboundResult, type RunningNatsReceiver } from '../transports/nats/nats-receiver.ts';
import { createGroupCommit } from './group-commit.ts';
import type { MeshNode } from './mesh-node.ts';
import { liveRateLimit } from './live-rate-limit.ts';
import { batchFailureResult } from './node-http.ts';
import { createNodeInbound } from './node-inbound.ts';

export interface NodeNatsHooks {
  onAccepted?: () => void;
  onForwarded?: () => void;
}

function toNatsResult(r: InboundResult): NatsInboundResult {
  const id = typeof r.body.id === 'string' ? r.body.id : null;
  return { status: r.status, from: r.from ?? null, id, duplicate: r.body.duplicate === true, retryAfterMs: r.retryAfterMs ?? null };
}

/** Starts consuming this node's inbox subject; null when NATS is not configured or `nats.receive` is off. */
export async function startNodeNatsReceiver(node: MeshNode, version: string, hooks: NodeNatsHooks = {}): Promise<RunningNatsReceiver | null> {
  const wiring = await node.nats();
  if (wiring === null || !wiring.config.receive) return null;
  const senderRateLimit = liveRateLimit(node.clock, () => ({ ratePerSecond: node.config.serve.rateLimitPerSecond, burst: node.config.serve.rateLimitBurst }));
  const pipeline = createNodeInbound(node, senderRateLimit);
  const handleInGroup = createGroupCommit<InboundRequest, InboundResult>({
    store: node.store,
    handle: (req) => pipeline.handle(req),
    onBatchFailure: (e) => batchFailureResult(node.logger, e),
  });
  return startNatsReceiver({
    link: wiring.link,
    names: wiring.names,
    self: node.self,
    streams: wiring.streams,
    receipts: wiring.receipts,
    // The bus names no sender the way a URL path does: the signature is what names it.
    handle: async (bodyText) => {
      const r = await handleInGroup({ pathSender: null, bodyText, wrapped: true });
      if (r.forwarded === true) hooks.onForwarded?.();
      return toNatsResult(r);
    },
    maxBodyBytes: () => node.config.serve.maxBodyBytes,
    refuseOversized: (bytes) => {
      node.logger.info('inbound: message refused', { code: WireCode.PayloadTooLarge, transport: 'nats', bytes });
      try {
        node.audit.record({
          ts: node.clock.now(), direction: 'in', status: `rejected_${WireCode.PayloadTooLarge}`, id: null, from: null, to: node.self, type: null,
          subject: null, correlationId: null, conversationId: null, signed: false, encrypted: false, detail: `nats message of ${bytes} bytes`,
        });
        node.events.emit({ type: 'message.rejected', from: null, id: null, code: WireCode.PayloadTooLarge });
      } catch (e) {
        node.logger.error('inbound: could not record a refusal', { error: (e as Error).name });
      }
    },
    health: () => JSON.stringify({ ok: true, status: 'live', agent: node.self, version, transport: 'nats', features: [] }),
    ...(hooks.onAccepted === undefined ? {} : { onAccepted: hooks.onAccepted }),
    logger: node.logger,
  });
}

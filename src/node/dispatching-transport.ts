/**
 * The node's Transport: each request goes to the transport its URL belongs to, so the delivery
 * service (and the fleet's probes, dead-letter replay, the OpenClaw forwarder) stay transport-blind.
 * A peer's registry entry decides its URL (`nats:<agent>` for NATS peers, http(s) otherwise,
 * registry.ts), so one fleet mixes HTTP peers (bash nodes included) and NATS peers, and `mesh send
 * all` reaches both. NATS is set up on first use; a node without a `nats` section answers NATS
 * requests with `nats_not_configured` (transient: configure it and the outbox's retries go through).
 */
import type { OutboundRequest, Transport, TransportResult } from '../ports/transport.ts';
import { isNatsUrl } from '../transports/nats/nats-address.ts';

export interface DispatchDeps {
  http: Transport;
  /** The NATS transport, created on first use; null when this node has no NATS configuration. */
  nats(): Promise<Transport | null>;
}

const notConfigured: TransportResult = { status: null, networkError: 'nats_not_configured', retryAfterMs: null, bodySnippet: '', elapsedMs: 0 };

export function createDispatchingTransport(d: DispatchDeps): Transport {
  return {
    async send(req: OutboundRequest): Promise<TransportResult> {
      if (!isNatsUrl(req.url)) return d.http.send(req);
      return (await d.nats())?.send(req) ?? { ...notConfigured };
    },
    async probe(baseUrl: string, timeoutMs: number): Promise<TransportResult> {
      if (!isNatsUrl(baseUrl)) return d.http.probe(baseUrl, timeoutMs);
      return (await d.nats())?.probe(baseUrl, timeoutMs) ?? { ...notConfigured };
    },
    async close(): Promise<void> {
      await d.http.close?.();
    },
  };
}

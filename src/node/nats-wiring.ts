/**
 * The NATS side of a node, built on first use from config/mesh.json `nats` (composition root): one
 * link (connection), the fleet's names, the receipt codec over the node's keys and registry, and the
 * outbound transport. The daemon's receiver (node-nats-receiver.ts) uses the same link. Imported
 * lazily (MeshNode.nats()): a node without NATS never loads it, nor the client library.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Clock } from '../ports/clock.ts';
import type { KeyStore } from '../ports/keys.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerDirectory } from '../ports/peers.ts';
import type { Transport } from '../ports/transport.ts';
import { natsNames, type NatsNames } from '../transports/nats/nats-address.ts';
import { NatsLink } from '../transports/nats/nats-link.ts';
import type { NatsStreamOptions } from '../transports/nats/nats-streams.ts';
import { createNatsTransport } from '../transports/nats/nats-transport.ts';
import { createReceiptCodec, type ReceiptCodec } from '../transports/nats/receipt.ts';
import type { NatsConfig } from './config/nats-config.ts';

export interface NatsWiringDeps {
  home: string;
  self: string;
  keys: KeyStore;
  peers: PeerDirectory;
  clock: Clock;
  logger: Logger;
  config: NatsConfig;
  /** The daemon: connect until a server answers, reconnect for ever. CLI commands: one try. */
  persistent: boolean;
  connectTimeoutMs: number;
}

export interface NatsWiring {
  config: NatsConfig;
  names: NatsNames;
  link: NatsLink;
  receipts: ReceiptCodec;
  streams: NatsStreamOptions;
  transport: Transport;
  close(): Promise<void>;
}

/** A configured file path, relative paths taken from the home folder. */
export function natsFilePath(home: string, p: string | null): string | null {
  return p === null ? null : isAbsolute(p) ? p : resolve(home, p);
}

export function createNatsWiring(d: NatsWiringDeps): NatsWiring {
  const c = d.config;
  // The link checks the files (missing, secret ones open to others) before each connect.
  const file = (p: string | null): string | null => natsFilePath(d.home, p);
  const tls = c.tls === null ? null : { caFile: file(c.tls.caFile), certFile: file(c.tls.certFile), keyFile: file(c.tls.keyFile) };
  const link = new NatsLink({
    servers: c.servers,
    name: `mesh-${d.self}`,
    credsFile: file(c.credsFile),
    nkeySeedFile: file(c.nkeySeedFile),
    tokenFile: file(c.tokenFile),
    tls,
    persistent: d.persistent,
    connectTimeoutMs: d.connectTimeoutMs,
    logger: d.logger,
  });
  const names = natsNames(c.fleet);
  const receipts = createReceiptCodec({ self: d.self, keys: d.keys, peers: d.peers });
  const streams: NatsStreamOptions = { replicas: c.replicas, maxAgeMs: c.maxAgeMs, receiptMaxAgeMs: c.receiptMaxAgeMs, ackWaitMs: c.ackWaitMs };
  const transport = createNatsTransport({
    link, names, self: d.self, receipts, streams, clock: d.clock, logger: d.logger, receiptTimeoutMs: () => c.receiptTimeoutMs,
  });
  return { config: c, names, link, receipts, streams, transport, close: () => link.close() };
}

/**
 * `mesh nats setup` and `mesh nats status` (and `mesh init --nats`): write the `nats` section of
 * config/mesh.json, validated as the daemon will read it, and look at the fleet's JetStream state.
 * Secrets stay in the files the section names; nothing here prints their contents.
 */
import { existsSync, readFileSync } from 'node:fs';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { natsFileProblem, type NatsFile } from '../transports/nats/nats-files.ts';
import { natsErrorCode, natsErrorDetail } from '../transports/nats/nats-link.ts';
import { writeFileAtomic } from './atomic-write.ts';
import type { MeshNode } from './mesh-node.ts';
import type { NatsConfig } from './config/nats-config.ts';
import { natsFilePath } from './nats-wiring.ts';
import { parseNodeConfig } from './node-config.ts';

export interface NatsSetupInput {
  servers: string[];
  fleet?: string | undefined;
  credsFile?: string | undefined;
  nkeySeedFile?: string | undefined;
  tokenFile?: string | undefined;
  tlsCaFile?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  replicas?: number | undefined;
  receive?: boolean | undefined;
}

export interface NatsSetupResult {
  file: string;
  nats: NatsConfig;
  /** Files the section names that do not exist (yet). */
  missingFiles: string[];
  /** Secret files (credentials, seed, token, TLS key) open to group or others: the connection refuses them until `chmod 600`. */
  looseFiles: string[];
}

/**
 * Writes config/mesh.json `nats` (replacing an earlier one, keeping every other section), after
 * checking that the whole file still parses. A running daemon logs that it needs a restart.
 */
export function writeNatsConfig(home: string, configFile: string, input: NatsSetupInput): NatsSetupResult {
  let cfg: Record<string, unknown> = {};
  if (existsSync(configFile)) {
    try {
      cfg = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new MeshError(MeshErrorCode.ConfigInvalid, `${configFile} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const tls = input.tlsCaFile === undefined && input.tlsCertFile === undefined && input.tlsKeyFile === undefined ? undefined
    : { caFile: input.tlsCaFile ?? null, certFile: input.tlsCertFile ?? null, keyFile: input.tlsKeyFile ?? null };
  const section: Record<string, unknown> = {
    servers: input.servers,
    ...(input.fleet === undefined ? {} : { fleet: input.fleet }),
    ...(input.credsFile === undefined ? {} : { credsFile: input.credsFile }),
    ...(input.nkeySeedFile === undefined ? {} : { nkeySeedFile: input.nkeySeedFile }),
    ...(input.tokenFile === undefined ? {} : { tokenFile: input.tokenFile }),
    ...(tls === undefined ? {} : { tls }),
    ...(input.replicas === undefined ? {} : { replicas: input.replicas }),
    ...(input.receive === undefined ? {} : { receive: input.receive }),
  };
  const next = { ...cfg, nats: section };
  const nats = parseNodeConfig(next, configFile).nats as NatsConfig; // throws CONFIG_INVALID with the offending key
  writeFileAtomic(configFile, `${JSON.stringify(next, null, 2)}\n`, 0o600);
  const named: [NatsFile['kind'], string | null][] = [
    ['credentials', nats.credsFile], ['NKey seed', nats.nkeySeedFile], ['token', nats.tokenFile],
    ['TLS CA', nats.tls?.caFile ?? null], ['TLS certificate', nats.tls?.certFile ?? null], ['TLS key', nats.tls?.keyFile ?? null],
  ];
  const problems = named.flatMap(([kind, p]) => {
    const path = natsFilePath(home, p);
    const problem = path === null ? null : natsFileProblem({ kind, path });
    return problem === null ? [] : [problem];
  });
  const pathsWith = (code: string): string[] => problems.filter((e) => e.code === code).map((e) => e.path);
  return { file: configFile, nats, missingFiles: pathsWith('nats_file_missing'), looseFiles: pathsWith('nats_secret_file_mode') };
}

export interface NatsStreamView {
  name: string;
  messages: number;
  bytes: number;
  replicas: number;
  /** Servers of a clustered stream: leader first; empty on a single server. */
  servers: string[];
}

export interface NatsStatus {
  configured: boolean;
  servers: string[];
  fleet: string | null;
  connected: boolean;
  /** A short code (nats_auth, nats_tls, nats_secret_file_mode, timeout…); never a secret. */
  error: string | null;
  /** For a file problem: which file and the fix (never its content). */
  detail: string | null;
  server: { name: string; version: string; cluster: string | null } | null;
  streams: NatsStreamView[];
  /**
   * This node's consumer: messages waiting, taken but not acked, being redelivered now, and every
   * delivery so far (redeliveries included: more deliveries than messages means some were redelivered).
   */
  consumer: { name: string; pending: number; ackPending: number; redelivered: number; deliveries: number } | null;
  peers: { name: string; reachable: boolean; latencyMs: number | null; detail: string | null }[];
}

/** Connects once (bounded by the node's connect timeout) and reads the fleet's state. Never throws for NATS problems. */
export async function natsStatus(node: MeshNode, probeTimeoutMs: number): Promise<NatsStatus> {
  const cfg = node.config.nats;
  const base: NatsStatus = {
    configured: cfg !== null, servers: cfg?.servers ?? [], fleet: cfg?.fleet ?? null, connected: false, error: null, detail: null,
    server: null, streams: [], consumer: null, peers: [],
  };
  const wiring = await node.nats();
  if (wiring === null) return base;
  let c;
  try {
    c = await wiring.link.connection();
  } catch (e) {
    return { ...base, error: natsErrorCode(e), detail: natsErrorDetail(e).detail ?? null };
  }
  const info = c.nc.info;
  const status: NatsStatus = {
    ...base, connected: true,
    server: info === undefined ? null : { name: info.server_name, version: info.version, cluster: info.cluster ?? null },
  };
  for (const name of [wiring.names.inboxStream, wiring.names.receiptStream]) {
    try {
      const s = await c.jsm.streams.info(name);
      status.streams.push({
        name, messages: s.state.messages, bytes: s.state.bytes, replicas: s.config.num_replicas,
        servers: s.cluster === undefined ? [] : [s.cluster.leader ?? '?', ...(s.cluster.replicas ?? []).map((r) => r.name)],
      });
    } catch (e) {
      status.error ??= `${name}: ${natsErrorCode(e)}`;
    }
  }
  try {
    const ci = await c.jsm.consumers.info(wiring.names.inboxStream, wiring.names.durable(node.self));
    status.consumer = {
      name: ci.name, pending: ci.num_pending, ackPending: ci.num_ack_pending, redelivered: ci.num_redelivered, deliveries: ci.delivered.consumer_seq,
    };
  } catch {
    // Not created yet: this node's daemon has not run with NATS.
  }
  const peers = node.registry.list().filter((p) => p.transport === 'nats');
  status.peers = await Promise.all(peers.map(async (p) => {
    const r = await wiring.transport.probe(p.baseUrl, probeTimeoutMs);
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    return { name: p.name, reachable: ok, latencyMs: ok ? Math.round(r.elapsedMs * 10) / 10 : null, detail: ok ? null : r.networkError };
  }));
  return status;
}

/**
 * config/mesh.json: node settings, all optional, validated once with named defaults. One module per
 * section under config/ (its type, keys, defaults and reader); this one puts them together and applies
 * the environment. Missing file = defaults. Unknown keys are an error (a typo must not silently fall
 * back to a default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { jsonSyntaxReason } from '../protocol/json.ts';
import { A2A_KEYS, defaultA2AConfig, readA2AConfig, type A2AConfig } from './config/a2a-config.ts';
import { API_KEYS, defaultApiConfig, readApiConfig, type ApiConfig } from './config/api-config.ts';
import { BRAIN_SYNC_KEYS, readBrainSyncConfig, type BrainSyncConfig } from './config/brain-sync-config.ts';
import { isObj, Reader } from './config/config-reader.ts';
import { defaultDeliveryConfig, DELIVERY_KEYS, readDeliveryConfig, type DeliveryConfig } from './config/delivery-config.ts';
import { defaultFleetConfig, FLEET_KEYS, readFleetConfig, type FleetConfig } from './config/fleet-config.ts';
import {
  checkHandOff, DEFAULT_HANDLER_TIMEOUT_MS, defaultInboundConfig, HANDLER_KEYS, INBOUND_KEYS, OPENCLAW_KEYS, readHandlerConfig,
  readInboundConfig, readOpenClawConfig, type HandlerConfig, type InboundConfig, type OpenClawConfig,
} from './config/inbound-config.ts';
import { defaultRetentionConfig, readRetentionConfig, RETENTION_KEYS, type RetentionConfig } from './config/retention-config.ts';
import { defaultServeConfig, readServeConfig, SERVE_KEYS, type ServeConfig } from './config/serve-config.ts';
import { NATS_KEYS, readNatsConfig, type NatsConfig } from './config/nats-config.ts';
import { defaultStoreConfig, readStoreConfig, STORE_KEYS, type StoreConfig } from './config/store-config.ts';
import { defaultSessionsConfig, readSessionsConfig, SESSIONS_KEYS, sessionsFromEnv, type SessionsConfig } from './config/sessions-config.ts';

export interface NodeConfig {
  serve: ServeConfig;
  delivery: DeliveryConfig;
  inbound: InboundConfig;
  handler: HandlerConfig | null;
  openclaw: OpenClawConfig | null;
  retention: RetentionConfig;
  /** The fleet service: alert de-duplication (docs/alert-dedup.md), peer health and relay failover. */
  fleet: FleetConfig;
  /** Collaborative sessions (bash MESH_MAX_SESSION_MESSAGES, MESH_SESSION_TTL_HOURS override them). */
  sessions: SessionsConfig;
  /** `mesh serve` runs `mesh brain-sync` every intervalMs when set. The token is a secret: never logged. */
  brainSync: BrainSyncConfig | null;
  /** The local API listener of `mesh serve` (JSON API, event stream, dashboard). */
  api: ApiConfig;
  /** MESH over NATS JetStream (config/nats-config.ts, docs/nats.md); null: this node does not use NATS. */
  nats: NatsConfig | null;
  /** MESH as an A2A 1.0 server on the hooks listener (config/a2a-config.ts, docs/a2a.md). */
  a2a: A2AConfig;
  /** How the store commits (config/store-config.ts); read when the database is opened. */
  store: StoreConfig;
}

const SECTIONS = ['serve', 'delivery', 'inbound', 'handler', 'openclaw', 'retention', 'fleet', 'sessions', 'brainSync', 'api', 'nats', 'a2a', 'store', '$comment'];

export function defaultNodeConfig(): NodeConfig {
  return {
    serve: defaultServeConfig(),
    delivery: defaultDeliveryConfig(),
    inbound: defaultInboundConfig(),
    handler: null,
    openclaw: null,
    retention: defaultRetentionConfig(),
    fleet: defaultFleetConfig(),
    sessions: defaultSessionsConfig(),
    brainSync: null,
    api: defaultApiConfig(),
    nats: null,
    a2a: defaultA2AConfig(),
    store: defaultStoreConfig(),
  };
}

export function parseNodeConfig(raw: unknown, file = 'config/mesh.json'): NodeConfig {
  const r = new Reader(file);
  if (!isObj(raw)) throw new MeshError(MeshErrorCode.ConfigInvalid, `${file}: must be a JSON object`);
  for (const k of Object.keys(raw)) if (!SECTIONS.includes(k)) r.fail(k, `one of the known sections (${SECTIONS.join(', ')})`);
  // Every section's keys are checked before any value, so a misspelt key is reported first.
  const serve = r.section(raw, 'serve', SERVE_KEYS);
  const delivery = r.section(raw, 'delivery', DELIVERY_KEYS);
  const inbound = r.section(raw, 'inbound', INBOUND_KEYS);
  const handler = r.section(raw, 'handler', HANDLER_KEYS);
  const openclaw = r.section(raw, 'openclaw', OPENCLAW_KEYS);
  const retention = r.section(raw, 'retention', RETENTION_KEYS);
  const fleet = r.section(raw, 'fleet', FLEET_KEYS);
  const sessions = r.section(raw, 'sessions', SESSIONS_KEYS);
  const brainSync = r.section(raw, 'brainSync', BRAIN_SYNC_KEYS);
  const api = r.section(raw, 'api', API_KEYS);
  const nats = r.section(raw, 'nats', NATS_KEYS);
  const a2a = r.section(raw, 'a2a', A2A_KEYS);
  const store = r.section(raw, 'store', STORE_KEYS);

  const cfg: NodeConfig = {
    serve: readServeConfig(r, serve),
    delivery: readDeliveryConfig(r, delivery),
    inbound: readInboundConfig(r, inbound),
    handler: readHandlerConfig(r, handler),
    openclaw: readOpenClawConfig(r, openclaw),
    retention: readRetentionConfig(r, retention),
    fleet: readFleetConfig(r, fleet),
    sessions: readSessionsConfig(r, sessions),
    brainSync: readBrainSyncConfig(r, brainSync),
    api: readApiConfig(r, api),
    nats: readNatsConfig(r, nats),
    a2a: readA2AConfig(r, a2a),
    store: readStoreConfig(r, store),
  };
  checkHandOff(r, cfg.inbound, cfg.handler, cfg.openclaw);
  return cfg;
}

export function loadNodeConfig(path: string, env: NodeJS.ProcessEnv = {}): NodeConfig {
  return nodeConfigFromText(existsSync(path) ? readFileSync(path, 'utf8') : null, path, env);
}

/** The node's settings from config/mesh.json's text (null: no file, all defaults) and the environment. */
export function nodeConfigFromText(text: string | null, path: string, env: NodeJS.ProcessEnv = {}): NodeConfig {
  let cfg: NodeConfig;
  if (text === null) cfg = defaultNodeConfig();
  else {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new MeshError(MeshErrorCode.ConfigInvalid, `${path} is ${jsonSyntaxReason(e)}`);
    }
    cfg = parseNodeConfig(raw, path);
  }
  // bash's session variables win over the file, as they did over bash's defaults.
  cfg.sessions = sessionsFromEnv(cfg.sessions, env);
  // MESH_HANDLER (bash's generic receiver variable) selects the handler hand-off: a path to an executable.
  const handler = env['MESH_HANDLER'];
  if (handler) {
    cfg.handler = { command: [handler], timeoutMs: cfg.handler?.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS };
    cfg.inbound.handOff = 'handler';
  }
  return cfg;
}

/**
 * config/mesh.json: node settings, all optional, validated once here with named defaults.
 * Missing file = defaults. Unknown keys are an error (a typo must not silently fall back to a default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { jsonSyntaxReason } from '../protocol/json.ts';
import { isValidAgentName } from '../protocol/names.ts';

export const DEFAULT_SERVE_PORT = 18790;

export type HandOffMode = 'inbox' | 'handler' | 'openclaw';

export interface NodeConfig {
  serve: {
    host: string; port: number; maxBodyBytes: number;
    /** Per authenticated sender (charged by the inbound pipeline). */
    rateLimitPerSecond: number; rateLimitBurst: number;
    /** Per client address, before authentication (charged by the HTTP receiver; protects CPU). */
    addressRateLimitPerSecond: number; addressRateLimitBurst: number;
  };
  delivery: { retryDelaysMs: number[]; requestTimeoutMs: number; connectTimeoutMs: number; breakerFailureThreshold: number; breakerCooldownMs: number };
  inbound: { replayWindowMs: number; maxMessageAgeMs: number; futureSkewMs: number; acceptUnknownSenders: boolean; handOff: HandOffMode };
  handler: { command: string[]; timeoutMs: number } | null;
  openclaw: { gatewayUrl: string; hookToken: string; allowedSessionKeyPrefixes: string[]; agentId: string | null; timeoutMs: number } | null;
  retention: { auditDays: number; deliveredDays: number; inboxDays: number; eventsDays: number };
  /**
   * Peer health and relay failover (fleet/). `hub`: null = the first registry agent with role "hub".
   * `relay`: null = forward relayed envelopes only when this node's role is relay, sre or hub.
   */
  fleet: {
    probeIntervalMs: number; probeTimeoutMs: number; unreachableAfterFailures: number; latencySamples: number;
    electionHoldMs: number | null; announceTtlSeconds: number; hub: string | null; relay: boolean | null;
  };
}

export function defaultNodeConfig(): NodeConfig {
  return {
    serve: {
      host: '127.0.0.1', port: DEFAULT_SERVE_PORT, maxBodyBytes: 256 * 1024, rateLimitPerSecond: 20, rateLimitBurst: 100,
      addressRateLimitPerSecond: 200, addressRateLimitBurst: 1000,
    },
    delivery: { retryDelaysMs: [0, 5_000, 15_000, 60_000], requestTimeoutMs: 30_000, connectTimeoutMs: 10_000, breakerFailureThreshold: 3, breakerCooldownMs: 60_000 },
    inbound: { replayWindowMs: 300_000, maxMessageAgeMs: 86_400_000, futureSkewMs: 60_000, acceptUnknownSenders: false, handOff: 'inbox' },
    handler: null,
    openclaw: null,
    retention: { auditDays: 30, deliveredDays: 7, inboxDays: 30, eventsDays: 7 },
    fleet: {
      probeIntervalMs: 30_000, probeTimeoutMs: 5_000, unreachableAfterFailures: 3, latencySamples: 20,
      electionHoldMs: null, announceTtlSeconds: 300, hub: null, relay: null,
    },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Reader {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }
  fail(path: string, want: string): never {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${this.file}: "${path}" must be ${want}`);
  }
  section(root: Obj, key: string, known: readonly string[]): Obj | null {
    const v = root[key];
    if (v === undefined || v === null) return null;
    if (!isObj(v)) this.fail(key, 'an object');
    for (const k of Object.keys(v)) if (!known.includes(k)) this.fail(`${key}.${k}`, `one of the known keys (${known.join(', ')})`);
    return v;
  }
  int(o: Obj | null, sect: string, key: string, dflt: number, min: number, max: number): number {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(`${sect}.${key}`, `an integer ${min}..${max}`);
    return v;
  }
  str(o: Obj | null, sect: string, key: string, dflt: string): string {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || v.length === 0) this.fail(`${sect}.${key}`, 'a non-empty string');
    return v;
  }
  bool(o: Obj | null, sect: string, key: string, dflt: boolean): boolean {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(`${sect}.${key}`, 'true or false');
    return v;
  }
  strings(o: Obj | null, sect: string, key: string, dflt: string[]): string[] {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(`${sect}.${key}`, 'an array of strings');
    return v as string[];
  }
}

export function parseNodeConfig(raw: unknown, file = 'config/mesh.json'): NodeConfig {
  const d = defaultNodeConfig();
  const r = new Reader(file);
  if (!isObj(raw)) throw new MeshError(MeshErrorCode.ConfigInvalid, `${file}: must be a JSON object`);
  const known = ['serve', 'delivery', 'inbound', 'handler', 'openclaw', 'retention', 'fleet', '$comment'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) r.fail(k, `one of the known sections (${known.join(', ')})`);

  const s = r.section(raw, 'serve', ['host', 'port', 'maxBodyBytes', 'rateLimitPerSecond', 'rateLimitBurst', 'addressRateLimitPerSecond', 'addressRateLimitBurst']);
  const dl = r.section(raw, 'delivery', ['retryDelaysMs', 'requestTimeoutMs', 'connectTimeoutMs', 'breakerFailureThreshold', 'breakerCooldownMs']);
  const ib = r.section(raw, 'inbound', ['replayWindowMs', 'maxMessageAgeMs', 'futureSkewMs', 'acceptUnknownSenders', 'handOff']);
  const h = r.section(raw, 'handler', ['command', 'timeoutMs']);
  const oc = r.section(raw, 'openclaw', ['gatewayUrl', 'hookToken', 'allowedSessionKeyPrefixes', 'agentId', 'timeoutMs']);
  const rt = r.section(raw, 'retention', ['auditDays', 'deliveredDays', 'inboxDays', 'eventsDays']);
  const fl = r.section(raw, 'fleet', [
    'probeIntervalMs', 'probeTimeoutMs', 'unreachableAfterFailures', 'latencySamples', 'electionHoldMs', 'announceTtlSeconds', 'hub', 'relay',
  ]);
  const hub = fl?.['hub'];
  if (hub !== undefined && hub !== null && (typeof hub !== 'string' || !isValidAgentName(hub))) r.fail('fleet.hub', 'an agent name or null');
  const relay = fl?.['relay'];
  if (relay !== undefined && relay !== null && typeof relay !== 'boolean') r.fail('fleet.relay', 'true, false or null');
  const hold = fl?.['electionHoldMs'];

  const retry = dl?.['retryDelaysMs'];
  if (retry !== undefined && (!Array.isArray(retry) || retry.length === 0 || !retry.every((x) => Number.isInteger(x) && x >= 0))) {
    r.fail('delivery.retryDelaysMs', 'a non-empty array of non-negative integers (milliseconds)');
  }
  const handOff = r.str(ib, 'inbound', 'handOff', d.inbound.handOff);
  if (handOff !== 'inbox' && handOff !== 'handler' && handOff !== 'openclaw') r.fail('inbound.handOff', '"inbox", "handler" or "openclaw"');

  const cfg: NodeConfig = {
    serve: {
      host: r.str(s, 'serve', 'host', d.serve.host),
      port: r.int(s, 'serve', 'port', d.serve.port, 0, 65535),
      maxBodyBytes: r.int(s, 'serve', 'maxBodyBytes', d.serve.maxBodyBytes, 1024, 64 * 1024 * 1024),
      rateLimitPerSecond: r.int(s, 'serve', 'rateLimitPerSecond', d.serve.rateLimitPerSecond, 1, 100_000),
      rateLimitBurst: r.int(s, 'serve', 'rateLimitBurst', d.serve.rateLimitBurst, 1, 1_000_000),
      addressRateLimitPerSecond: r.int(s, 'serve', 'addressRateLimitPerSecond', d.serve.addressRateLimitPerSecond, 1, 1_000_000),
      addressRateLimitBurst: r.int(s, 'serve', 'addressRateLimitBurst', d.serve.addressRateLimitBurst, 1, 1_000_000),
    },
    delivery: {
      retryDelaysMs: (retry as number[] | undefined) ?? d.delivery.retryDelaysMs,
      requestTimeoutMs: r.int(dl, 'delivery', 'requestTimeoutMs', d.delivery.requestTimeoutMs, 100, 600_000),
      connectTimeoutMs: r.int(dl, 'delivery', 'connectTimeoutMs', d.delivery.connectTimeoutMs, 100, 600_000),
      breakerFailureThreshold: r.int(dl, 'delivery', 'breakerFailureThreshold', d.delivery.breakerFailureThreshold, 1, 1000),
      breakerCooldownMs: r.int(dl, 'delivery', 'breakerCooldownMs', d.delivery.breakerCooldownMs, 0, 86_400_000),
    },
    inbound: {
      replayWindowMs: r.int(ib, 'inbound', 'replayWindowMs', d.inbound.replayWindowMs, 1000, 86_400_000),
      // Cap on how long a message with a nonce may be accepted when its TTL outlasts the window.
      maxMessageAgeMs: r.int(ib, 'inbound', 'maxMessageAgeMs', d.inbound.maxMessageAgeMs, 1000, 30 * 86_400_000),
      futureSkewMs: r.int(ib, 'inbound', 'futureSkewMs', d.inbound.futureSkewMs, 0, 3_600_000),
      acceptUnknownSenders: r.bool(ib, 'inbound', 'acceptUnknownSenders', d.inbound.acceptUnknownSenders),
      handOff: handOff as HandOffMode,
    },
    handler: h === null ? null : {
      command: (() => {
        const c = r.strings(h, 'handler', 'command', []);
        if (c.length === 0) r.fail('handler.command', 'a non-empty array: [executable, ...args]');
        return c;
      })(),
      timeoutMs: r.int(h, 'handler', 'timeoutMs', 30_000, 100, 3_600_000),
    },
    openclaw: oc === null ? null : {
      gatewayUrl: r.str(oc, 'openclaw', 'gatewayUrl', 'http://127.0.0.1:18789'),
      hookToken: r.str(oc, 'openclaw', 'hookToken', ''),
      allowedSessionKeyPrefixes: r.strings(oc, 'openclaw', 'allowedSessionKeyPrefixes', ['hook:']),
      agentId: typeof oc['agentId'] === 'string' ? oc['agentId'] : null,
      timeoutMs: r.int(oc, 'openclaw', 'timeoutMs', 30_000, 100, 600_000),
    },
    retention: {
      auditDays: r.int(rt, 'retention', 'auditDays', d.retention.auditDays, 1, 3650),
      deliveredDays: r.int(rt, 'retention', 'deliveredDays', d.retention.deliveredDays, 1, 3650),
      inboxDays: r.int(rt, 'retention', 'inboxDays', d.retention.inboxDays, 1, 3650),
      eventsDays: r.int(rt, 'retention', 'eventsDays', d.retention.eventsDays, 1, 3650),
    },
    fleet: {
      probeIntervalMs: r.int(fl, 'fleet', 'probeIntervalMs', d.fleet.probeIntervalMs, 100, 86_400_000),
      probeTimeoutMs: r.int(fl, 'fleet', 'probeTimeoutMs', d.fleet.probeTimeoutMs, 50, 600_000),
      unreachableAfterFailures: r.int(fl, 'fleet', 'unreachableAfterFailures', d.fleet.unreachableAfterFailures, 1, 1000),
      latencySamples: r.int(fl, 'fleet', 'latencySamples', d.fleet.latencySamples, 1, 1000),
      electionHoldMs: hold === undefined || hold === null ? null : r.int(fl, 'fleet', 'electionHoldMs', 0, 0, 86_400_000),
      announceTtlSeconds: r.int(fl, 'fleet', 'announceTtlSeconds', d.fleet.announceTtlSeconds, 60, 86_400),
      hub: typeof hub === 'string' ? hub : null,
      relay: typeof relay === 'boolean' ? relay : null,
    },
  };
  if (cfg.inbound.handOff === 'handler' && cfg.handler === null) r.fail('handler', 'set when inbound.handOff is "handler"');
  if (cfg.inbound.handOff === 'openclaw' && (cfg.openclaw === null || cfg.openclaw.hookToken === '')) {
    r.fail('openclaw.hookToken', 'set when inbound.handOff is "openclaw"');
  }
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
  // MESH_HANDLER (bash's generic receiver variable) selects the handler hand-off: a path to an executable.
  const handler = env['MESH_HANDLER'];
  if (handler) {
    cfg.handler = { command: [handler], timeoutMs: cfg.handler?.timeoutMs ?? 30_000 };
    cfg.inbound.handOff = 'handler';
  }
  return cfg;
}

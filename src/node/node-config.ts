/**
 * config/mesh.json: node settings, all optional, validated once here with named defaults.
 * Missing file = defaults. Unknown keys are an error (a typo must not silently fall back to a default).
 */
import { existsSync, readFileSync } from 'node:fs';
import { defaultAlertDedupRules } from '../fleet/alert-dedup-deps.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { jsonSyntaxReason } from '../protocol/json.ts';
import { DEFAULT_SESSION_MAX_MESSAGES, DEFAULT_SESSION_TTL_HOURS } from '../sessions/session-limits.ts';
import { isValidAgentName } from '../protocol/names.ts';

export const DEFAULT_SERVE_PORT = 18790;
const DAY_MS = 86_400_000;
/** The local API and dashboard listener (the seed README's port). */
export const DEFAULT_API_PORT = 8880;
export const DEFAULT_API_MAX_BODY_BYTES = 256 * 1024;
/** Live event streams (`GET /api/events`) open at once; more are refused with 503. */
export const DEFAULT_API_MAX_EVENT_STREAMS = 64;
/** Bytes of events queued for one stream client; past it live events wait in the log for it instead. */
export const DEFAULT_API_EVENT_STREAM_BUFFER_BYTES = 1024 * 1024;
/** How long a stream client may leave a full buffer unread before it is cut off. */
export const DEFAULT_API_EVENT_STREAM_STALL_MS = 30_000;

export type HandOffMode = 'inbox' | 'handler' | 'openclaw';
/**
 * How the store commits. 'full' (default): every commit that acknowledges something (a 202 to a
 * peer, `mesh send`'s exit code) is fsynced first and survives a power loss. 'normal': commits skip
 * the fsync; they survive a crash of the process but not of the machine (README "Delivery guarantees").
 */
export type StoreSyncMode = 'full' | 'normal';

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
  retention: { auditDays: number; deliveredDays: number; inboxDays: number; eventsDays: number; incidentsDays: number };
  /** The fleet service: alert de-duplication (docs/alert-dedup.md), peer health and relay failover. */
  fleet: {
    dedupWindowMs: number;
    dedupEscalateAt: number;
    incidentQuietResolveMs: number;
    /** The daemon de-duplicates received `alert` messages before hand-off: one wake-up per incident. */
    dedupAlerts: boolean;
    /**
     * Peer health and relay failover. `hub`: null = the first registry agent with role "hub".
     * `relay`: null = forward relayed envelopes only when this node's role is relay, sre or hub.
     */
    probeIntervalMs: number; probeTimeoutMs: number; unreachableAfterFailures: number; latencySamples: number;
    electionHoldMs: number | null; announceTtlSeconds: number; hub: string | null; relay: boolean | null;
  };
  /** Collaborative sessions (bash MESH_MAX_SESSION_MESSAGES, MESH_SESSION_TTL_HOURS override them). */
  sessions: { maxMessages: number; ttlHours: number };
  /** `mesh serve` runs `mesh brain-sync` every intervalMs when set. The token is a secret: never logged. */
  brainSync: { url: string; intervalMs: number; token: string | null; timeoutMs: number } | null;
  /**
   * The local API listener of `mesh serve` (JSON API, event stream, dashboard). `port` null = not
   * set: the default port, which `mesh serve` skips with a warning when it is taken (a set port that
   * is taken is an error). Bound to a non-loopback host, every request needs the API token;
   * `requireToken` asks for it on loopback too (hosts shared by several users).
   */
  api: {
    enabled: boolean; host: string; port: number | null; requireToken: boolean; maxBodyBytes: number;
    maxEventStreams: number; eventStreamBufferBytes: number; eventStreamStallMs: number;
  };
  /** Read when the database is opened (a change needs a restart of `mesh serve`). */
  store: { synchronous: StoreSyncMode };
}

const FLEET_KEYS = [
  'dedupWindowMs',
  'dedupEscalateAt',
  'incidentQuietResolveMs',
  'dedupAlerts',
  'probeIntervalMs',
  'probeTimeoutMs',
  'unreachableAfterFailures',
  'latencySamples',
  'electionHoldMs',
  'announceTtlSeconds',
  'hub',
  'relay',
] as const;

const SESSION_MAX_MESSAGES_LIMIT = 10_000;
const SESSION_TTL_HOURS_LIMIT = 24 * 365;

export const DEFAULT_BRAIN_SYNC_INTERVAL_MS = 300_000;
/** Per post: the whole request (connect included) must finish in this long. */
export const DEFAULT_BRAIN_SYNC_TIMEOUT_MS = 10_000;

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
    retention: { auditDays: 30, deliveredDays: 7, inboxDays: 30, eventsDays: 7, incidentsDays: 30 },
    fleet: {
      dedupWindowMs: defaultAlertDedupRules().windowMs,
      dedupEscalateAt: defaultAlertDedupRules().escalateAt,
      incidentQuietResolveMs: defaultAlertDedupRules().quietResolveMs,
      dedupAlerts: false,
      probeIntervalMs: 30_000, probeTimeoutMs: 5_000, unreachableAfterFailures: 3, latencySamples: 20,
      electionHoldMs: null, announceTtlSeconds: 300, hub: null, relay: null,
    },
    sessions: { maxMessages: DEFAULT_SESSION_MAX_MESSAGES, ttlHours: DEFAULT_SESSION_TTL_HOURS },
    brainSync: null,
    api: {
      enabled: true, host: '127.0.0.1', port: null, requireToken: false, maxBodyBytes: DEFAULT_API_MAX_BODY_BYTES,
      maxEventStreams: DEFAULT_API_MAX_EVENT_STREAMS, eventStreamBufferBytes: DEFAULT_API_EVENT_STREAM_BUFFER_BYTES,
      eventStreamStallMs: DEFAULT_API_EVENT_STREAM_STALL_MS,
    },
    store: { synchronous: 'full' },
  };
}

/** An http(s) URL without credentials, query or fragment (they would end up in the cursor key and in output). */
export function isPlainHttpUrl(text: string): boolean {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '';
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
  const known = ['serve', 'delivery', 'inbound', 'handler', 'openclaw', 'retention', 'fleet', 'sessions', 'brainSync', 'api', 'store', '$comment'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) r.fail(k, `one of the known sections (${known.join(', ')})`);

  const s = r.section(raw, 'serve', ['host', 'port', 'maxBodyBytes', 'rateLimitPerSecond', 'rateLimitBurst', 'addressRateLimitPerSecond', 'addressRateLimitBurst']);
  const dl = r.section(raw, 'delivery', ['retryDelaysMs', 'requestTimeoutMs', 'connectTimeoutMs', 'breakerFailureThreshold', 'breakerCooldownMs']);
  const ib = r.section(raw, 'inbound', ['replayWindowMs', 'maxMessageAgeMs', 'futureSkewMs', 'acceptUnknownSenders', 'handOff']);
  const h = r.section(raw, 'handler', ['command', 'timeoutMs']);
  const oc = r.section(raw, 'openclaw', ['gatewayUrl', 'hookToken', 'allowedSessionKeyPrefixes', 'agentId', 'timeoutMs']);
  const rt = r.section(raw, 'retention', ['auditDays', 'deliveredDays', 'inboxDays', 'eventsDays', 'incidentsDays']);
  const fl = r.section(raw, 'fleet', FLEET_KEYS);
  const ss = r.section(raw, 'sessions', ['maxMessages', 'ttlHours']);
  const bs = r.section(raw, 'brainSync', ['url', 'intervalMs', 'token', 'timeoutMs']);
  if (bs !== null && (typeof bs['url'] !== 'string' || !isPlainHttpUrl(bs['url']))) r.fail('brainSync.url', 'an http(s) URL without credentials, query or fragment');
  const brainToken = bs?.['token'];
  if (brainToken !== undefined && brainToken !== null && (typeof brainToken !== 'string' || brainToken === '' || /[\s]/.test(brainToken))) {
    r.fail('brainSync.token', 'a non-empty string without spaces, or null');
  }
  const ap = r.section(raw, 'api', ['enabled', 'host', 'port', 'requireToken', 'maxBodyBytes', 'maxEventStreams', 'eventStreamBufferBytes', 'eventStreamStallMs']);
  const st = r.section(raw, 'store', ['synchronous']);
  const synchronous = r.str(st, 'store', 'synchronous', d.store.synchronous);
  if (synchronous !== 'full' && synchronous !== 'normal') r.fail('store.synchronous', '"full" or "normal"');
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
      incidentsDays: r.int(rt, 'retention', 'incidentsDays', d.retention.incidentsDays, 1, 3650),
    },
    fleet: {
      dedupWindowMs: r.int(fl, 'fleet', 'dedupWindowMs', d.fleet.dedupWindowMs, 1000, 7 * DAY_MS),
      dedupEscalateAt: r.int(fl, 'fleet', 'dedupEscalateAt', d.fleet.dedupEscalateAt, 2, 1000),
      incidentQuietResolveMs: r.int(fl, 'fleet', 'incidentQuietResolveMs', d.fleet.incidentQuietResolveMs, 60_000, 365 * DAY_MS),
      dedupAlerts: r.bool(fl, 'fleet', 'dedupAlerts', d.fleet.dedupAlerts),
      probeIntervalMs: r.int(fl, 'fleet', 'probeIntervalMs', d.fleet.probeIntervalMs, 100, 86_400_000),
      probeTimeoutMs: r.int(fl, 'fleet', 'probeTimeoutMs', d.fleet.probeTimeoutMs, 50, 600_000),
      unreachableAfterFailures: r.int(fl, 'fleet', 'unreachableAfterFailures', d.fleet.unreachableAfterFailures, 1, 1000),
      latencySamples: r.int(fl, 'fleet', 'latencySamples', d.fleet.latencySamples, 1, 1000),
      electionHoldMs: hold === undefined || hold === null ? null : r.int(fl, 'fleet', 'electionHoldMs', 0, 0, 86_400_000),
      announceTtlSeconds: r.int(fl, 'fleet', 'announceTtlSeconds', d.fleet.announceTtlSeconds, 60, 86_400),
      hub: typeof hub === 'string' ? hub : null,
      relay: typeof relay === 'boolean' ? relay : null,
    },
    sessions: {
      maxMessages: r.int(ss, 'sessions', 'maxMessages', d.sessions.maxMessages, 1, SESSION_MAX_MESSAGES_LIMIT),
      ttlHours: r.int(ss, 'sessions', 'ttlHours', d.sessions.ttlHours, 1, SESSION_TTL_HOURS_LIMIT),
    },
    brainSync: bs === null ? null : {
      url: String(bs['url']),
      intervalMs: r.int(bs, 'brainSync', 'intervalMs', DEFAULT_BRAIN_SYNC_INTERVAL_MS, 1_000, 7 * 86_400_000),
      token: typeof brainToken === 'string' ? brainToken : null,
      timeoutMs: r.int(bs, 'brainSync', 'timeoutMs', DEFAULT_BRAIN_SYNC_TIMEOUT_MS, 100, 600_000),
    },
    api: {
      enabled: r.bool(ap, 'api', 'enabled', d.api.enabled),
      host: r.str(ap, 'api', 'host', d.api.host),
      port: ap?.['port'] === undefined ? null : r.int(ap, 'api', 'port', DEFAULT_API_PORT, 0, 65535),
      requireToken: r.bool(ap, 'api', 'requireToken', d.api.requireToken),
      maxBodyBytes: r.int(ap, 'api', 'maxBodyBytes', d.api.maxBodyBytes, 1024, 16 * 1024 * 1024),
      maxEventStreams: r.int(ap, 'api', 'maxEventStreams', d.api.maxEventStreams, 1, 10_000),
      eventStreamBufferBytes: r.int(ap, 'api', 'eventStreamBufferBytes', d.api.eventStreamBufferBytes, 4096, 256 * 1024 * 1024),
      eventStreamStallMs: r.int(ap, 'api', 'eventStreamStallMs', d.api.eventStreamStallMs, 100, 3_600_000),
    },
    store: { synchronous: synchronous as StoreSyncMode },
  };
  if (cfg.fleet.incidentQuietResolveMs < cfg.fleet.dedupWindowMs) {
    r.fail('fleet.incidentQuietResolveMs', `at least fleet.dedupWindowMs (${cfg.fleet.dedupWindowMs})`);
  }
  if (cfg.inbound.handOff === 'handler' && cfg.handler === null) r.fail('handler', 'set when inbound.handOff is "handler"');
  if (cfg.inbound.handOff === 'openclaw' && (cfg.openclaw === null || cfg.openclaw.hookToken === '')) {
    r.fail('openclaw.hookToken', 'set when inbound.handOff is "openclaw"');
  }
  return cfg;
}

/** A whole number 1..max from the environment; unset or empty keeps `dflt`, anything else is refused. */
function envInt(env: NodeJS.ProcessEnv, name: string, dflt: number, max: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `environment variable ${name} must be a whole number 1..${max}`);
  }
  return n;
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
  cfg.sessions.maxMessages = envInt(env, 'MESH_MAX_SESSION_MESSAGES', cfg.sessions.maxMessages, SESSION_MAX_MESSAGES_LIMIT);
  cfg.sessions.ttlHours = envInt(env, 'MESH_SESSION_TTL_HOURS', cfg.sessions.ttlHours, SESSION_TTL_HOURS_LIMIT);
  // MESH_HANDLER (bash's generic receiver variable) selects the handler hand-off: a path to an executable.
  const handler = env['MESH_HANDLER'];
  if (handler) {
    cfg.handler = { command: [handler], timeoutMs: cfg.handler?.timeoutMs ?? 30_000 };
    cfg.inbound.handOff = 'handler';
  }
  return cfg;
}

/**
 * config/mesh.json `inbound`, `handler` and `openclaw`: how received messages are checked, and how
 * verified ones are handed to the local agent (inbox pull, a handler command, or an OpenClaw gateway).
 */
import type { Obj, Reader } from './config-reader.ts';

export type HandOffMode = 'inbox' | 'handler' | 'openclaw';

export interface InboundConfig {
  replayWindowMs: number; maxMessageAgeMs: number; futureSkewMs: number; acceptUnknownSenders: boolean; handOff: HandOffMode;
}
export interface HandlerConfig { command: string[]; timeoutMs: number }
export interface OpenClawConfig { gatewayUrl: string; hookToken: string; allowedSessionKeyPrefixes: string[]; agentId: string | null; timeoutMs: number }

export const INBOUND_KEYS = ['replayWindowMs', 'maxMessageAgeMs', 'futureSkewMs', 'acceptUnknownSenders', 'handOff'] as const;
export const HANDLER_KEYS = ['command', 'timeoutMs'] as const;
export const OPENCLAW_KEYS = ['gatewayUrl', 'hookToken', 'allowedSessionKeyPrefixes', 'agentId', 'timeoutMs'] as const;
/** A handler's run time limit when config/mesh.json (or MESH_HANDLER) does not set one. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

export function defaultInboundConfig(): InboundConfig {
  return { replayWindowMs: 300_000, maxMessageAgeMs: 86_400_000, futureSkewMs: 60_000, acceptUnknownSenders: false, handOff: 'inbox' };
}

export function readInboundConfig(r: Reader, ib: Obj | null): InboundConfig {
  const d = defaultInboundConfig();
  const handOff = r.str(ib, 'inbound', 'handOff', d.handOff);
  if (handOff !== 'inbox' && handOff !== 'handler' && handOff !== 'openclaw') r.fail('inbound.handOff', '"inbox", "handler" or "openclaw"');
  return {
    replayWindowMs: r.int(ib, 'inbound', 'replayWindowMs', d.replayWindowMs, 1000, 86_400_000),
    // Cap on how long a message with a nonce may be accepted when its TTL outlasts the window.
    maxMessageAgeMs: r.int(ib, 'inbound', 'maxMessageAgeMs', d.maxMessageAgeMs, 1000, 30 * 86_400_000),
    futureSkewMs: r.int(ib, 'inbound', 'futureSkewMs', d.futureSkewMs, 0, 3_600_000),
    acceptUnknownSenders: r.bool(ib, 'inbound', 'acceptUnknownSenders', d.acceptUnknownSenders),
    handOff,
  };
}

export function readHandlerConfig(r: Reader, h: Obj | null): HandlerConfig | null {
  if (h === null) return null;
  const command = r.strings(h, 'handler', 'command', []);
  if (command.length === 0) r.fail('handler.command', 'a non-empty array: [executable, ...args]');
  return { command, timeoutMs: r.int(h, 'handler', 'timeoutMs', DEFAULT_HANDLER_TIMEOUT_MS, 100, 3_600_000) };
}

export function readOpenClawConfig(r: Reader, oc: Obj | null): OpenClawConfig | null {
  if (oc === null) return null;
  return {
    gatewayUrl: r.str(oc, 'openclaw', 'gatewayUrl', 'http://127.0.0.1:18789'),
    hookToken: r.str(oc, 'openclaw', 'hookToken', ''),
    allowedSessionKeyPrefixes: r.strings(oc, 'openclaw', 'allowedSessionKeyPrefixes', ['hook:']),
    agentId: typeof oc['agentId'] === 'string' ? oc['agentId'] : null,
    timeoutMs: r.int(oc, 'openclaw', 'timeoutMs', 30_000, 100, 600_000),
  };
}

/** The hand-off mode's own section must be there (checked once every section is read). */
export function checkHandOff(r: Reader, inbound: InboundConfig, handler: HandlerConfig | null, openclaw: OpenClawConfig | null): void {
  if (inbound.handOff === 'handler' && handler === null) r.fail('handler', 'set when inbound.handOff is "handler"');
  if (inbound.handOff === 'openclaw' && (openclaw === null || openclaw.hookToken === '')) {
    r.fail('openclaw.hookToken', 'set when inbound.handOff is "openclaw"');
  }
}

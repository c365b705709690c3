/**
 * Test-only helpers for the inbound pipeline tests: a static peer directory and key store, sinks
 * that record, and wire-text builders that sign TEXT the way bash does (HMAC over the exact bytes,
 * computed here with node:crypto, independently of crypto/hmac.ts).
 */
import { createHmac } from 'node:crypto';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { IdentityKeyPair, KeyStore } from '../ports/keys.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerConfig, PeerDirectory, SigningScheme } from '../ports/peers.ts';
import type { AuditEntry } from '../ports/store.ts';
import { serializeJq } from '../protocol/canonical-json.ts';
import type { MeshEvent } from '../protocol/events.ts';
import type { JsonValue } from '../protocol/json.ts';

export function peer(name: string, signing: SigningScheme, extra: Partial<PeerConfig> = {}): PeerConfig {
  return {
    name,
    baseUrl: 'http://127.0.0.1:18789',
    token: `token-of-${name}`,
    role: 'worker',
    signing,
    encryption: 'none',
    publicKey: null,
    hookBasePath: '/hooks',
    transport: 'hook',
    ...extra,
  };
}

export function staticPeers(self: string, list: PeerConfig[]): PeerDirectory {
  const byName = new Map(list.map((p) => [p.name, p]));
  return {
    self: () => self,
    get: (name) => byName.get(name) ?? null,
    list: () => list.filter((p) => p.name !== self),
    group: () => null,
  };
}

export function staticKeys(
  signing: Record<string, string>,
  encryption: Record<string, string> = {},
  identity: IdentityKeyPair | null = null,
): KeyStore {
  return {
    signingKey: (p) => (Object.hasOwn(signing, p) ? (signing[p] ?? null) : null),
    encryptionKey: (p) => (Object.hasOwn(encryption, p) ? (encryption[p] ?? null) : null),
    identity: () => identity,
  };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown> | undefined;
}

/** Event, audit and log sinks that keep everything for assertions. */
export function recorder(): { events: MeshEvent[]; audit: AuditEntry[]; logs: LogLine[]; eventSink: EventSink; auditSink: AuditSink; logger: Logger } {
  const events: MeshEvent[] = [];
  const audit: AuditEntry[] = [];
  const logs: LogLine[] = [];
  const log = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>) => {
    logs.push({ level, msg, fields });
  };
  return {
    events,
    audit,
    logs,
    eventSink: { emit: (e) => events.push(e) },
    auditSink: { record: (e) => audit.push(e) },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  };
}

/** `jq -c` text of an object given as ordered entries (integer-like keys stay where they are). */
export function jqText(entries: [string, JsonValue][]): string {
  return serializeJq(new Map(entries));
}

/** Ordered Map from entries, for nested values inside jqText. */
export const obj = (entries: [string, JsonValue][]): Map<string, JsonValue> => new Map(entries);

export function hmacBase64(keyText: string, text: string): string {
  return createHmac('sha256', keyText.replace(/\s/g, '')).update(text, 'utf8').digest('base64');
}

/** Appends `"signature":"<prefix><hmac of text>"` as the last key, as bash's `jq '. + {signature}'` does. */
export function signText(text: string, keyText: string, prefix = 'sha256:'): string {
  return `${text.slice(0, -1)},"signature":"${prefix}${hmacBase64(keyText, text)}"}`;
}

/** Appends an arbitrary `signature` value. */
export function withSignature(text: string, signature: string): string {
  return `${text.slice(0, -1)},"signature":${JSON.stringify(signature)}}`;
}

/** Python `json.dumps` defaults: ", " and ": " separators, non-ASCII escaped as \uXXXX. */
export function pyDumps(v: JsonValue): string {
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${pyDumps(k)}: ${pyDumps(x)}`).join(', ')}}`;
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(', ')}]`;
  if (typeof v === 'string') {
    return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (v !== null && typeof v === 'object') return pyDumps(new Map(Object.entries(v)));
  return JSON.stringify(v);
}

/** Time of the standard test envelopes: 2026-01-01T00:00:00.000Z. */
export const T0 = Date.UTC(2026, 0, 1);

export const testId = (n: number): string => `msg_00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
export const testNonce = (n: number): string => n.toString(16).padStart(32, '0');

/**
 * The §2.1 envelope (mesh-send's 16 keys, in order) from alpha to beta, number `n` (id and nonce).
 * `over` replaces values in place, removes keys set to undefined, and appends new keys at the end.
 */
export function envelopeEntries(n: number, over: Record<string, JsonValue | undefined> = {}): [string, JsonValue][] {
  const entries: [string, JsonValue][] = [
    ['protocol', 'mesh/1.0'],
    ['id', testId(n)],
    ['timestamp', new Date(T0).toISOString()],
    ['from', 'alpha'],
    ['to', 'beta'],
    ['type', 'notification'],
    ['correlationId', null],
    ['conversationId', null],
    ['replyTo', null],
    ['replyContext', null],
    ['session', null],
    ['priority', 'normal'],
    ['ttl', 300],
    ['idempotencyKey', null],
    ['nonce', testNonce(n)],
    ['payload', obj([['subject', 'Hello'], ['body', 'Hello'], ['attachments', []], ['metadata', obj([])]])],
  ];
  const out: [string, JsonValue][] = [];
  for (const [k, v] of entries) {
    if (!Object.hasOwn(over, k)) out.push([k, v]);
    else if (over[k] !== undefined) out.push([k, over[k]]);
  }
  for (const [k, v] of Object.entries(over)) {
    if (v !== undefined && !entries.some(([e]) => e === k)) out.push([k, v]);
  }
  return out;
}

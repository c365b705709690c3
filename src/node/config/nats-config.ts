/**
 * config/mesh.json `nats`: how this node reaches the fleet's NATS servers (docs/nats.md). Absent or
 * null: no NATS. Secrets live in files named here (credentials file, NKey seed file, token file, TLS
 * key); the section never holds a secret itself, and server URLs with user/password are refused, so
 * nothing secret reaches logs or `mesh nats status`. File paths are taken as the user wrote them
 * (relative ones from the node's home folder, node/nats-wiring.ts); nothing from a peer or the wire
 * ever becomes part of a path. The daemon reads the section at start: a change needs a restart.
 */
import { NATS_FLEET_RE, DEFAULT_NATS_FLEET } from '../../transports/nats/nats-address.ts';
import { isObj, type Obj, type Reader } from './config-reader.ts';
import { isNatsServerUrl } from './config-urls.ts';

export interface NatsConfig {
  servers: string[];
  /** Subjects are `mesh.<fleet>.<agent>.inbox`; every node of a fleet uses the same name. */
  fleet: string;
  credsFile: string | null;
  nkeySeedFile: string | null;
  tokenFile: string | null;
  tls: { caFile: string | null; certFile: string | null; keyFile: string | null } | null;
  /** `mesh serve` consumes this node's inbox subject (false: send over NATS only). */
  receive: boolean;
  /** Replicas of the streams when this node creates them (1, or 3 on a 3-server cluster). */
  replicas: number;
  /** Inbox messages not consumed within this long are dropped by the server (the sender still holds them). */
  maxAgeMs: number;
  receiptMaxAgeMs: number;
  /** The server redelivers a message this node has not acked within this long. */
  ackWaitMs: number;
  /** How long one delivery attempt waits for the receiver's receipt after the server accepted it. */
  receiptTimeoutMs: number;
}

export const NATS_KEYS = [
  'servers', 'fleet', 'credsFile', 'nkeySeedFile', 'tokenFile', 'tls', 'receive', 'replicas', 'maxAgeMs', 'receiptMaxAgeMs',
  'ackWaitMs', 'receiptTimeoutMs',
] as const;
const TLS_KEYS = ['caFile', 'certFile', 'keyFile'];
const MAX_NATS_SERVERS = 32;
const MAX_PATH_CHARS = 4096;
const DAY_MS = 86_400_000;

export const DEFAULT_NATS_MAX_AGE_MS = 7 * DAY_MS;
export const DEFAULT_NATS_RECEIPT_MAX_AGE_MS = 3_600_000;
export const DEFAULT_NATS_ACK_WAIT_MS = 30_000;
export const DEFAULT_NATS_RECEIPT_TIMEOUT_MS = 5_000;

/** `nats` (checked for unknown keys by Reader.section), or null when absent. */
export function readNatsConfig(r: Reader, n: Obj | null): NatsConfig | null {
  if (n === null) return null;
  const servers = n['servers'];
  if (!Array.isArray(servers) || servers.length === 0 || servers.length > MAX_NATS_SERVERS
    || !servers.every((s) => typeof s === 'string' && isNatsServerUrl(s))) {
    r.fail('nats.servers', 'a non-empty array of nats:// or tls:// URLs without user, password or path (put secrets in credsFile, nkeySeedFile or tokenFile)');
  }
  const path = (o: Obj, at: string, key: string): string | null => {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_PATH_CHARS || v.includes('\0')) r.fail(`${at}.${key}`, 'a file path or null');
    return v;
  };
  const fleet = n['fleet'] ?? DEFAULT_NATS_FLEET;
  if (typeof fleet !== 'string' || !NATS_FLEET_RE.test(fleet)) r.fail('nats.fleet', 'letters, digits, _ or -, at most 32 characters');
  let tls: NatsConfig['tls'] = null;
  const t = n['tls'];
  if (t !== undefined && t !== null) {
    if (!isObj(t)) r.fail('nats.tls', 'an object { caFile, certFile, keyFile } or null');
    for (const k of Object.keys(t)) if (!TLS_KEYS.includes(k)) r.fail(`nats.tls.${k}`, `one of the known keys (${TLS_KEYS.join(', ')})`);
    tls = { caFile: path(t, 'nats.tls', 'caFile'), certFile: path(t, 'nats.tls', 'certFile'), keyFile: path(t, 'nats.tls', 'keyFile') };
    if ((tls.certFile === null) !== (tls.keyFile === null)) r.fail('nats.tls', 'given certFile and keyFile together (a client certificate needs its key)');
  }
  return {
    servers: servers as string[],
    fleet,
    credsFile: path(n, 'nats', 'credsFile'),
    nkeySeedFile: path(n, 'nats', 'nkeySeedFile'),
    tokenFile: path(n, 'nats', 'tokenFile'),
    tls,
    receive: r.bool(n, 'nats', 'receive', true),
    replicas: r.int(n, 'nats', 'replicas', 1, 1, 5),
    maxAgeMs: r.int(n, 'nats', 'maxAgeMs', DEFAULT_NATS_MAX_AGE_MS, 60_000, 365 * DAY_MS),
    receiptMaxAgeMs: r.int(n, 'nats', 'receiptMaxAgeMs', DEFAULT_NATS_RECEIPT_MAX_AGE_MS, 60_000, 30 * DAY_MS),
    ackWaitMs: r.int(n, 'nats', 'ackWaitMs', DEFAULT_NATS_ACK_WAIT_MS, 1_000, 3_600_000),
    receiptTimeoutMs: r.int(n, 'nats', 'receiptTimeoutMs', DEFAULT_NATS_RECEIPT_TIMEOUT_MS, 100, 600_000),
  };
}

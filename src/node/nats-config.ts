/**
 * The `nats` section of config/mesh.json: how this node reaches the fleet's NATS servers
 * (docs/nats.md). Absent or null: no NATS. Secrets live in files named here (credentials file, NKey
 * seed file, token file); the section never holds a secret itself, and server URLs with user/password
 * are refused, so nothing secret reaches logs or `mesh nats status`. Relative file paths are relative
 * to the node's home folder. The daemon reads the section at start: a change needs a restart.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { NATS_FLEET_RE, DEFAULT_NATS_FLEET } from '../transports/nats/nats-address.ts';

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
const DAY_MS = 86_400_000;

export const DEFAULT_NATS_MAX_AGE_MS = 7 * DAY_MS;
export const DEFAULT_NATS_RECEIPT_MAX_AGE_MS = 3_600_000;
export const DEFAULT_NATS_ACK_WAIT_MS = 30_000;
export const DEFAULT_NATS_RECEIPT_TIMEOUT_MS = 5_000;

/** A NATS server URL MESH accepts: nats:// or tls://, a host, an optional port, nothing else. */
export function isNatsServerUrl(text: string): boolean {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return false;
  }
  return (u.protocol === 'nats:' || u.protocol === 'tls:') && u.hostname !== '' && u.username === '' && u.password === ''
    && (u.pathname === '' || u.pathname === '/') && u.search === '' && u.hash === '';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseNatsConfig(raw: unknown, file: string): NatsConfig | null {
  if (raw === undefined || raw === null) return null;
  const fail: (path: string, want: string) => never = (path, want) => {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${file}: "${path === '' ? 'nats' : `nats.${path}`}" must be ${want}`);
  };
  if (!isObj(raw)) fail('', 'an object, or null');
  for (const k of Object.keys(raw)) if (!(NATS_KEYS as readonly string[]).includes(k)) fail(k, `one of the known keys (${NATS_KEYS.join(', ')})`);
  const servers = raw['servers'];
  if (!Array.isArray(servers) || servers.length === 0 || servers.length > 32 || !servers.every((s) => typeof s === 'string' && isNatsServerUrl(s))) {
    fail('servers', 'a non-empty array of nats:// or tls:// URLs without user, password or path (put secrets in credsFile, nkeySeedFile or tokenFile)');
  }
  const path = (key: string, o: Obj = raw): string | null => {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.length === 0 || v.length > 4096 || v.includes('\0')) fail(key, 'a file path or null');
    return v as string;
  };
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const v = raw[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(key, `an integer ${min}..${max}`);
    return v as number;
  };
  const fleet = raw['fleet'] ?? DEFAULT_NATS_FLEET;
  if (typeof fleet !== 'string' || !NATS_FLEET_RE.test(fleet)) fail('fleet', 'letters, digits, _ or -, at most 32 characters');
  const receive = raw['receive'] ?? true;
  if (typeof receive !== 'boolean') fail('receive', 'true or false');
  let tls: NatsConfig['tls'] = null;
  const t = raw['tls'];
  if (t !== undefined && t !== null) {
    if (!isObj(t)) fail('tls', 'an object { caFile, certFile, keyFile } or null');
    const to = t as Obj;
    for (const k of Object.keys(to)) if (!TLS_KEYS.includes(k)) fail(`tls.${k}`, `one of the known keys (${TLS_KEYS.join(', ')})`);
    tls = { caFile: path('caFile', to), certFile: path('certFile', to), keyFile: path('keyFile', to) };
    if ((tls.certFile === null) !== (tls.keyFile === null)) fail('tls', 'given certFile and keyFile together (a client certificate needs its key)');
  }
  return {
    servers: servers as string[],
    fleet: fleet as string,
    credsFile: path('credsFile'),
    nkeySeedFile: path('nkeySeedFile'),
    tokenFile: path('tokenFile'),
    tls,
    receive: receive as boolean,
    replicas: int('replicas', 1, 1, 5),
    maxAgeMs: int('maxAgeMs', DEFAULT_NATS_MAX_AGE_MS, 60_000, 365 * DAY_MS),
    receiptMaxAgeMs: int('receiptMaxAgeMs', DEFAULT_NATS_RECEIPT_MAX_AGE_MS, 60_000, 30 * DAY_MS),
    ackWaitMs: int('ackWaitMs', DEFAULT_NATS_ACK_WAIT_MS, 1_000, 3_600_000),
    receiptTimeoutMs: int('receiptTimeoutMs', DEFAULT_NATS_RECEIPT_TIMEOUT_MS, 100, 600_000),
  };
}

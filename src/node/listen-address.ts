/**
 * Where `mesh serve` listens so that peers told to connect to an address (`mesh init --ip`) reach
 * it. Loopback stays the default; a non-loopback --ip is the user's decision to be reachable.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** An IP literal or a DNS name; all-numeric dotted names that are not IPs (999.1.1.1) are refused. */
export function isHostAddress(value: string): boolean {
  const bare = value.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return true;
  return HOSTNAME_RE.test(bare) && !/^[0-9.]+$/.test(bare);
}

/** The addresses of this host's interfaces (os.networkInterfaces), without zone ids. */
export function localInterfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.replace(/%.*$/, '')));
}

export interface ListenChoice {
  host: string;
  /** True when the address peers use is not one of this host's, so every interface is bound. */
  allInterfaces: boolean;
}

/**
 * The listen host for peers connecting to `ip`: the address itself when this host has it (every
 * 127.x address is local on loopback), else all interfaces, since a NAT'ed public address or a DNS
 * name cannot be bound here but its traffic arrives on some local interface.
 */
export function listenHostFor(ip: string, localAddresses: readonly string[]): ListenChoice {
  const bare = ip.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return { host: '127.0.0.1', allInterfaces: false };
  const family = isIP(bare);
  const local = localAddresses.map((a) => a.toLowerCase());
  if (family !== 0 && (isLoopbackHost(bare) || local.includes(bare))) return { host: bare, allInterfaces: false };
  return { host: family === 6 ? '::' : '0.0.0.0', allInterfaces: true };
}

/**
 * A small network of Linux network namespaces for tests that need a real partition: one namespace per
 * node, each with one veth interface (address 10.77.0.<i+1>/24, inside that namespace only) into a
 * bridge that lives in a namespace of its own, so the host's network is never touched. `cut(a, b)`
 * adds blackhole routes for each other's address in both namespaces (connect() fails at once, as on
 * a dead link with an ICMP error); `heal(a, b)` removes them.
 *
 * Needs root and iproute2 (`ip netns`): `unavailable()` says why not, for the test to skip with.
 * Everything is named with a random prefix and deleted by `close()`, on process exit and on
 * SIGINT/SIGTERM, so an interrupted run leaves no namespace behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const IP = 'ip';
const labs = new Set<NetLab>();
let hooked = false;

function ip(args: readonly string[]): void {
  execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function hookCleanup(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const l of labs) l.close();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const l of labs) l.close();
      process.exit(130);
    });
  }
}

/** Null when namespaces can be made here, else why not. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces are Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the suite as root, as CI does)';
  const probe = `mtchk${randomBytes(3).toString('hex')}`;
  const r = spawnSync(IP, ['netns', 'add', probe], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return `iproute2 is not usable (${r.error.message})`;
  if (r.status !== 0) return `\`ip netns add\` failed: ${r.stderr.trim() || `exit ${String(r.status)}`}`;
  spawnSync(IP, ['netns', 'del', probe], { timeout: 30_000 });
  return null;
}

export class NetLab {
  readonly prefix: string;
  readonly size: number;
  #closed = false;

  private constructor(prefix: string, size: number) {
    this.prefix = prefix;
    this.size = size;
  }

  /** `size` node namespaces on one bridge (at most 200). */
  static create(size: number): NetLab {
    if (size < 1 || size > 200) throw new Error('1..200 nodes');
    hookCleanup();
    const lab = new NetLab(`mt${randomBytes(3).toString('hex')}`, size);
    labs.add(lab);
    try {
      const sw = lab.switchNs;
      ip(['netns', 'add', sw]);
      ip(['-n', sw, 'link', 'set', 'lo', 'up']);
      ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', sw, 'link', 'set', 'br0', 'up']);
      for (let i = 0; i < size; i++) {
        const ns = lab.ns(i);
        // Interface names: at most 15 characters.
        const inside = `${lab.prefix}a${i}`;
        const port = `${lab.prefix}b${i}`;
        ip(['netns', 'add', ns]);
        ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        ip(['-n', sw, 'link', 'add', inside, 'type', 'veth', 'peer', 'name', port]);
        ip(['-n', sw, 'link', 'set', inside, 'netns', ns]);
        ip(['-n', ns, 'link', 'set', inside, 'name', 'eth0']);
        ip(['-n', ns, 'addr', 'add', `${lab.addr(i)}/24`, 'dev', 'eth0']);
        ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
        ip(['-n', sw, 'link', 'set', port, 'master', 'br0']);
        ip(['-n', sw, 'link', 'set', port, 'up']);
      }
    } catch (e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  get switchNs(): string {
    return `${this.prefix}sw`;
  }
  ns(i: number): string {
    return `${this.prefix}n${i}`;
  }
  addr(i: number): string {
    return `10.77.0.${i + 1}`;
  }

  /** `ip netns exec <ns i>` in front of a command: it runs (exec'd, same pid) inside node i's namespace. */
  wrap(i: number, command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command: IP, args: ['netns', 'exec', this.ns(i), command, ...args] };
  }

  /** Nodes a and b can no longer reach each other (both directions); everyone else still can. */
  cut(a: number, b: number): void {
    ip(['-n', this.ns(a), 'route', 'add', 'blackhole', `${this.addr(b)}/32`]);
    ip(['-n', this.ns(b), 'route', 'add', 'blackhole', `${this.addr(a)}/32`]);
  }

  heal(a: number, b: number): void {
    ip(['-n', this.ns(a), 'route', 'del', 'blackhole', `${this.addr(b)}/32`]);
    ip(['-n', this.ns(b), 'route', 'del', 'blackhole', `${this.addr(a)}/32`]);
  }

  /** Deletes every namespace of the lab (their interfaces go with them). Idempotent; never throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    labs.delete(this);
    for (let i = 0; i < this.size; i++) spawnSync(IP, ['netns', 'del', this.ns(i)], { timeout: 30_000 });
    spawnSync(IP, ['netns', 'del', this.switchNs], { timeout: 30_000 });
  }
}

/**
 * The registry as a running node sees it: config/agent-registry.json re-read whenever it changes
 * (live-file.ts), so `mesh join`, `mesh keygen --enable`, a new public key or a removed peer apply
 * to the very next message in and out, without restarting `mesh serve`. An edit that does not parse
 * keeps the last good registry and is logged; entries that are invalid on their own are skipped
 * (the peer is unknown until fixed, which refuses its messages) and logged.
 */
import type { Logger } from '../ports/logger.ts';
import type { PeerConfig, PeerDirectory } from '../ports/peers.ts';
import { isMeshError, MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { LiveFile } from './live-file.ts';
import { parseRegistryText, RegistryPeerDirectory } from './registry.ts';

export class LiveRegistry implements PeerDirectory {
  readonly #self: string;
  readonly #file: LiveFile<RegistryPeerDirectory>;

  constructor(self: string, path: string, logger: Logger) {
    this.#self = self;
    this.#file = new LiveFile({
      path,
      parse: (text) => {
        if (text === null) throw new MeshError(MeshErrorCode.NotInitialized, `no registry at ${path}: run \`mesh init --agent <name>\` first`);
        return new RegistryPeerDirectory(self, parseRegistryText(text, path));
      },
      onReload: (reg) => {
        logger.info('registry reloaded', { peers: reg.list().length, groups: reg.groupNames().length });
        for (const problem of reg.problems) logger.warn('registry entry skipped', { problem });
      },
      onInvalid: (e) => {
        logger.error('registry edit refused, keeping the last good registry', {
          file: path,
          error: isMeshError(e) ? e.message : 'unreadable',
        });
      },
    });
  }

  /** The registry as of now (one consistent version: use it when several lookups must agree). */
  current(): RegistryPeerDirectory {
    return this.#file.get();
  }
  /** Entries of the current version that were skipped as invalid. */
  get problems(): readonly string[] {
    return this.current().problems;
  }
  self(): string {
    return this.#self;
  }
  get(name: string): PeerConfig | null {
    return this.current().get(name);
  }
  list(): PeerConfig[] {
    return this.current().list();
  }
  group(name: string): string[] | null {
    return this.current().group(name);
  }
  groupNames(): string[] {
    return this.current().groupNames();
  }
}

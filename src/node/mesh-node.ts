/**
 * The composition root: the ONLY place that picks concrete adapters (SQLite store, HTTP transport,
 * key files, registry file, delivery adapters) and wires services to them. The CLI and the daemon
 * talk to a MeshNode. Expensive parts (database, transport, services) are created on first use, so
 * `mesh keygen --status` never opens the database. The inbound side (schema validation, agent
 * hand-off adapters) is wired in node-inbound.ts, which only receiving commands import: `mesh send`
 * never loads zod or the receiver's adapters.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { isMeshError, MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { createIdGenerator, type IdGenerator } from '../protocol/ids.ts';
import { assertAgentName } from '../protocol/names.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { silentLogger, type Logger } from '../ports/logger.ts';
import type { PeerConfig } from '../ports/peers.ts';
import type { Store } from '../ports/store.ts';
import type { Transport } from '../ports/transport.ts';
import { FileKeyStore } from '../crypto/key-files.ts';
import { createDeliveryService, type DeliveryService } from '../delivery/delivery-service.ts';
import type { DeliveryOptionsInput } from '../delivery/delivery-options.ts';
import { createFleetRouter } from '../fleet/router.ts';
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts';
import { createHookBatcher, type HookBatcher } from '../transports/http/hook-batcher.ts';
import { createHttpTransport } from '../transports/http/http-transport.ts';
import { nodeTransport } from './a2a/a2a-transport-mux.ts';
import { AuditLog } from './audit-log.ts';
import { createDispatchingTransport } from './dispatching-transport.ts';
import { EventBus } from './event-bus.ts';
import { layoutOf, resolveAgentName, resolveHome, type HomeLayout } from './home.ts';
import { LiveFile } from './live-file.ts';
import { LiveRegistry } from './live-registry.ts';
import { nodeConfigFromText, type NodeConfig } from './node-config.ts';
import type { NatsWiring } from './nats-wiring.ts';

export interface OpenNodeOptions {
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  logger?: Logger;
  /** Replaces the HTTP transport (tests, benchmarks). */
  transport?: Transport;
  /**
   * For commands that only look: open the database read-only (no migration, no write, no write
   * lock), so they work where the database cannot be written. See MeshNode.store.
   */
  readOnly?: boolean;
}

export class MeshNode {
  readonly layout: HomeLayout;
  readonly self: string;
  /** config/agent-registry.json, re-read when it changes (live-registry.ts). */
  readonly registry: LiveRegistry;
  readonly keys: FileKeyStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly #config: LiveFile<NodeConfig>;
  #store: Store | null = null;
  readonly #readOnly: boolean;
  #transport: Transport | null;
  /** The HTTP transport's hook batcher (knows which peers take batches); null until the transport is built or when one was given. */
  #batcher: HookBatcher | null = null;
  #ownsTransport: boolean;
  #events: EventBus | null = null;
  #audit: AuditLog | null = null;
  #delivery: DeliveryService | null = null;
  #deliveryInput: { config: NodeConfig; input: DeliveryOptionsInput } | null = null;
  #nats: Promise<NatsWiring | null> | null = null;
  #natsPersistent = false;

  constructor(layout: HomeLayout, self: string, opts: OpenNodeOptions) {
    this.layout = layout;
    this.self = self;
    this.env = opts.env ?? {};
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.#config = liveConfig(layout.configFile, this.env, this.logger);
    this.registry = new LiveRegistry(self, layout.registryFile, this.logger);
    this.keys = new FileKeyStore(layout.home);
    this.ids = createIdGenerator((n) => randomBytes(n));
    this.#readOnly = opts.readOnly === true;
    this.#transport = opts.transport ?? null;
    this.#ownsTransport = opts.transport === undefined;
  }

  /**
   * config/mesh.json as of now: re-read when the file changes, so the next request sees an edit; an
   * invalid edit keeps the last good settings (and is logged). Read it at the point of use, not once.
   */
  get config(): NodeConfig {
    return this.#config.get();
  }

  /** This node's own registry entry (where peers reach it, and the token they must present). */
  selfEntry(): PeerConfig | null {
    return this.registry.get(this.self);
  }

  /** The bearer token inbound hook requests must carry (the self entry's token). */
  hookToken(): string {
    const t = this.selfEntry()?.token;
    if (!t) {
      throw new MeshError(MeshErrorCode.ConfigInvalid, `registry entry "${this.self}" has no token: peers could not authenticate; run \`mesh init\` again or set agents.${this.self}.token`);
    }
    return t;
  }

  peer(name: string): PeerConfig {
    const p = this.registry.get(name);
    if (p === null || name === this.self) {
      const known = this.registry.list().map((x) => x.name);
      throw new MeshError(MeshErrorCode.UnknownAgent, `unknown agent "${name}"${known.length ? ` (known: ${known.join(', ')})` : ' (the registry has no peers yet: `mesh join <name> <ip> [port] [token]`)'}`);
    }
    return p;
  }

  get store(): Store {
    this.#store ??= this.#readOnly ? this.#openForReading() : this.#openForWriting();
    return this.#store;
  }

  #openForWriting(): Store {
    mkdirSync(this.layout.dataDir, { recursive: true, mode: 0o700 });
    return openSqliteStore(this.layout.databaseFile, { synchronous: this.config.store.synchronous });
  }

  /**
   * A read-only node still needs a database it can read: one that does not exist yet is created, and
   * one whose schema is older than this MESH is upgraded, both by a normal open. Where that fails too
   * (the home is read-only), the error says why instead of a bare SQLite message.
   */
  #openForReading(): Store {
    if (!existsSync(this.layout.databaseFile)) return this.#openForWriting();
    try {
      return openSqliteStore(this.layout.databaseFile, { readOnly: true });
    } catch (e) {
      if (!isMeshError(e) || e.code !== MeshErrorCode.SchemaTooOld) throw e;
      try {
        return this.#openForWriting();
      } catch (w) {
        throw new MeshError(
          MeshErrorCode.SchemaTooOld,
          `${e.message}; upgrading it failed (${(w as Error).message}): run a command that writes (e.g. \`mesh serve\`) once where the database is writable`,
          { cause: w, details: e.details },
        );
      }
    }
  }

  get events(): EventBus {
    return (this.#events ??= new EventBus(this.store, this.clock));
  }

  get audit(): AuditLog {
    if (this.#audit === null) {
      mkdirSync(this.layout.logsDir, { recursive: true, mode: 0o700 });
      this.#audit = new AuditLog(this.store, this.layout.auditLogFile);
    }
    return this.#audit;
  }

  /** HTTP for http(s) peers, NATS for `nats:` peers (dispatching-transport.ts). */
  get transport(): Transport {
    // A2A peers (binding "a2a") go to the A2A client; everything else is dispatched by transport.
    return (this.#transport ??= nodeTransport({ store: () => this.store, peers: this.registry, clock: this.clock, logger: this.logger }, createDispatchingTransport({
      http: (this.#batcher = createHookBatcher(createHttpTransport({
        clock: this.clock,
        timeoutMs: this.config.delivery.requestTimeoutMs,
        connectTimeoutMs: this.config.delivery.connectTimeoutMs,
      }), { clock: this.clock })),
      nats: async () => (await this.nats())?.transport ?? null,
    })));
  }

  /**
   * The daemon keeps its NATS connection up (first connect retried until a server answers, then
   * reconnecting for ever); CLI commands try once. Call before the first use of NATS.
   */
  keepNatsConnected(): void {
    this.#natsPersistent = true;
  }

  /** This node's NATS link, transport and names, set up on first use; null without a `nats` section. */
  nats(): Promise<NatsWiring | null> {
    this.#nats ??= (async () => {
      const config = this.config.nats;
      if (config === null) return null;
      const { createNatsWiring } = await import('./nats-wiring.ts');
      return createNatsWiring({
        home: this.layout.home, self: this.self, keys: this.keys, peers: this.registry, clock: this.clock, logger: this.logger,
        config, persistent: this.#natsPersistent, connectTimeoutMs: this.config.delivery.connectTimeoutMs,
      });
    })();
    return this.#nats;
  }

  get delivery(): DeliveryService {
    return (this.#delivery ??= createDeliveryService({
      store: this.store,
      transport: this.transport,
      peers: this.registry,
      clock: this.clock,
      events: this.events,
      audit: this.audit,
      logger: this.logger,
      options: () => this.#deliveryOptions(),
      // A peer that cannot be reached directly goes through the fleet's elected relay, if any.
      router: createFleetRouter({ store: this.store, self: this.self }),
      batchingPeer: (peer) => {
        const url = this.registry.get(peer)?.baseUrl;
        return url !== undefined && this.#batcher?.batches(url) === true;
      },
    }));
  }

  /** Delivery options of the current configuration (the same object until mesh.json changes). */
  #deliveryOptions(): DeliveryOptionsInput {
    const config = this.config;
    if (this.#deliveryInput?.config !== config) {
      const d = config.delivery;
      this.#deliveryInput = {
        config,
        input: {
          requestTimeoutMs: d.requestTimeoutMs,
          connectTimeoutMs: d.connectTimeoutMs,
          retry: { delaysMs: d.retryDelaysMs },
          breaker: { failureThreshold: d.breakerFailureThreshold, coolDownMs: d.breakerCooldownMs },
        },
      };
    }
    return this.#deliveryInput.input;
  }

  async close(): Promise<void> {
    this.#audit?.flush();
    if (this.#ownsTransport && this.#transport?.close) await this.#transport.close();
    if (this.#nats !== null) await (await this.#nats.catch(() => null))?.close();
    this.#store?.close();
    this.#store = null;
  }
}

/** Settings that only take effect when the listener starts: a change is logged, not applied. */
const RESTART_SETTINGS = ['host', 'port'] as const;

function liveConfig(path: string, env: NodeJS.ProcessEnv, logger: Logger): LiveFile<NodeConfig> {
  return new LiveFile({
    path,
    parse: (text) => nodeConfigFromText(text, path, env),
    onReload: (next, previous) => {
      logger.info('configuration reloaded', { file: path });
      for (const k of RESTART_SETTINGS) {
        if (next.serve[k] !== previous.serve[k]) logger.warn(`serve.${k} changed: restart mesh serve to listen there`, { file: path });
        if (next.api[k] !== previous.api[k]) logger.warn(`api.${k} changed: restart mesh serve to listen there`, { file: path });
      }
      if (next.api.enabled !== previous.api.enabled) logger.warn('api.enabled changed: restart mesh serve to apply it', { file: path });
      if (JSON.stringify(next.nats) !== JSON.stringify(previous.nats)) logger.warn('nats changed: restart mesh serve to apply it', { file: path });
      if (next.store.synchronous !== previous.store.synchronous) logger.warn('store.synchronous changed: restart mesh serve to apply it', { file: path });
    },
    onInvalid: (e) => {
      logger.error('configuration edit refused, keeping the last good settings', { file: path, error: isMeshError(e) ? e.message : 'unreadable' });
    },
  });
}

/** Opens the node of a home folder (resolving --home, $MESH_HOME, ~/.mesh and the agent name). */
export function openNode(opts: OpenNodeOptions = {}): MeshNode {
  const env = opts.env ?? {};
  const layout = layoutOf(resolveHome(opts.home, env));
  const self = resolveAgentName(layout, env);
  if (self === null) {
    throw new MeshError(MeshErrorCode.NotInitialized, `no MESH node at ${layout.home}: run \`mesh init --agent <name>\` (or set --home / $MESH_HOME)`);
  }
  assertAgentName(self, 'agent name of this node');
  return new MeshNode(layout, self, { ...opts, env });
}

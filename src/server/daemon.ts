/**
 * The node daemon: HTTP receiver (+ served files), the NATS receiver (when config/mesh.json has a
 * `nats` section), the local API listener (when on), outbox worker, hand-off worker and housekeeping
 * in one process. Stops cleanly: first the API (its event streams end), then the hooks listener and
 * the NATS receiver (in-flight requests finish, taken NATS messages are stored and acked), then the
 * workers (in-flight attempts finish), then the store and the NATS connection (drained).
 */
import { startBackground } from '../node/background.ts';
import type { MeshNode } from '../node/mesh-node.ts';
import { createNodeApp, startNodeServer } from '../node/node-http.ts';
import { acquireServeLock } from '../node/serve-lock.ts';
import { isMeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { RunningApi } from './api/api-server.ts';
import { mountA2ARoutes, type A2ARoutes } from './a2a/a2a-routes.ts';

type RunningNats = { stop(): Promise<void> } | null;

export interface DaemonApiOptions {
  host: string;
  port: number;
  /**
   * The port was chosen (flag or config): if it is taken the daemon does not start. The default
   * port being taken (another node's daemon on this host) only skips the API, with a warning.
   */
  explicit: boolean;
  /** Tests shorten the event stream's heartbeat and log poll. */
  heartbeatMs?: number;
  pollIntervalMs?: number;
}

export interface DaemonOptions {
  host: string;
  port: number;
  version: string;
  /** The local API listener; null: off. */
  api?: DaemonApiOptions | null;
}

export interface RunningDaemon {
  host: string;
  port: number;
  /** The API listener, or null when it is off or was skipped (`apiSkipped` says why). */
  api: { url: string; tokenRequired: boolean } | null;
  apiSkipped: string | null;
  stop(): Promise<void>;
}

async function startApiListener(node: MeshNode, o: DaemonApiOptions, version: string): Promise<{ api: RunningApi | null; skipped: string | null }> {
  // Loaded only when the API is on: a daemon without it pays nothing at start-up.
  const { startApi } = await import('./api/api-server.ts');
  try {
    const api = await startApi(node, {
      host: o.host, port: o.port, version,
      ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
      ...(o.pollIntervalMs === undefined ? {} : { pollIntervalMs: o.pollIntervalMs }),
    });
    return { api, skipped: null };
  } catch (e) {
    if (o.explicit || !isMeshError(e) || e.code !== MeshErrorCode.AddressInUse) throw e;
    const skipped = `${e.message}: the local API and dashboard are off (another mesh serve on this host? set --api-port or api.port, or --no-api)`;
    node.logger.warn('api not started: its default port is in use', { host: o.host, port: o.port });
    return { api: null, skipped };
  }
}

export async function startDaemon(node: MeshNode, o: DaemonOptions): Promise<RunningDaemon> {
  node.hookToken(); // fail fast when peers could not authenticate
  // One daemon per home, checked before anything else so a second one says so rather than failing
  // on the port the first one holds.
  const lock = acquireServeLock(node.layout, process.pid, node.clock.now());
  let background: ReturnType<typeof startBackground> | null = null;
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  let api: RunningApi | null = null;
  let apiSkipped: string | null = null;
  // The daemon's NATS connection retries until a server answers and then reconnects for ever.
  if (node.config.nats !== null) node.keepNatsConnected();
  let a2a: A2ARoutes | null = null;
  try {
    void node.store; // open (and migrate) the database before accepting traffic
    const app = createNodeApp(node, o.version, { onAccepted: () => background?.kickHandOff(), onForwarded: () => background?.kickOutbox() });
    // A2A 1.0 (docs/a2a.md) shares the hooks listener; its routes answer 404 while a2a.enabled is off.
    a2a = mountA2ARoutes(app, node, { version: o.version, onAccepted: () => background?.kickHandOff() });
    server = await startNodeServer(app, o.host, o.port);
    if (o.api) {
      try {
        ({ api, skipped: apiSkipped } = await startApiListener(node, o.api, o.version));
      } catch (e) {
        await server.close();
        throw e;
      }
    }
  } catch (e) {
    lock.release();
    throw e;
  }
  background = startBackground(node);
  let nats: RunningNats = null;
  if (node.config.nats !== null) {
    // Loaded only when configured: the receiver connects in the background, so a NATS outage at
    // start-up does not keep the HTTP side from serving.
    const { startNodeNatsReceiver } = await import('../node/node-nats-receiver.ts');
    nats = await startNodeNatsReceiver(node, o.version, { onAccepted: () => background?.kickHandOff(), onForwarded: () => background?.kickOutbox() });
  }
  node.logger.info('mesh serve started', {
    agent: node.self, host: server.host, port: server.port, handOff: node.config.inbound.handOff, api: api?.url ?? null,
    nats: node.config.nats === null ? null : { servers: node.config.nats.servers, fleet: node.config.nats.fleet, receive: nats !== null },
  });
  let stopping: Promise<void> | null = null;
  return {
    host: server.host,
    port: server.port,
    api: api === null ? null : { url: api.url, tokenRequired: api.tokenRequired },
    apiSkipped,
    stop: () => (stopping ??= (async () => {
      node.logger.info('mesh serve stopping');
      await api?.close();
      a2a?.close();
      await Promise.all([server.close(), nats?.stop()]);
      await background?.stop();
      await node.close();
      lock.release();
      node.logger.info('mesh serve stopped');
    })()),
  };
}

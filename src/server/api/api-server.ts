/**
 * Starts the local API listener of `mesh serve` (loaded only when the API is on, so a daemon without
 * it pays nothing). Loopback binds need no token unless `api.requireToken`; any other bind needs the
 * API token on every request. `close()` ends the event streams, then the listener.
 */
import { ApiTokenCheck } from '../../node/api-token.ts';
import { isLoopbackHost } from '../../node/listen-address.ts';
import type { MeshNode } from '../../node/mesh-node.ts';
import { conversationsOf } from '../../node/node-conversations.ts';
import { startHttpListener } from '../../node/node-http.ts';
import { watchDatabaseWrites } from '../../node/store-watch.ts';
import { isMeshError } from '../../protocol/errors.ts';
import { createApiApp, type ApiApp } from './api-app.ts';
import type { ApiContext } from './api-context.ts';
import { EventFeed } from './event-feed.ts';
import { DEFAULT_HEARTBEAT_MS, type EventStreamHandle } from './event-stream.ts';

export interface ApiServerOptions {
  host: string;
  port: number;
  version: string;
  /** Tests shorten these; the defaults are 15 s and 250 ms. */
  heartbeatMs?: number;
  pollIntervalMs?: number;
}

export interface RunningApi {
  host: string;
  port: number;
  url: string;
  /** Whether every request needs the API token (as of start; requireToken is read per request). */
  tokenRequired: boolean;
  close(): Promise<void>;
}

export interface ApiAppBundle {
  app: ApiApp;
  context: ApiContext;
  /** Ends streams and waits; the listener (if any) is closed by the caller. */
  shutdown(): void;
}

/** The app and its shared state, without a listener (in-process tests use `app.request`). */
export function buildApi(node: MeshNode, o: Omit<ApiServerOptions, 'port'> & { port: () => number }): ApiAppBundle {
  const stopping = new AbortController();
  const boundIsLoopback = isLoopbackHost(o.host);
  const tokens = new ApiTokenCheck(node.layout, node.clock, (e) => {
    node.logger.error('api token file unusable: every request that needs the token is refused', { error: isMeshError(e) ? e.message : 'unreadable' });
  });
  const feed = new EventFeed({
    log: node.store.events,
    subscribe: (l) => node.events.subscribe(l),
    watch: (wake) => watchDatabaseWrites(node, wake),
    logger: node.logger,
    ...(o.pollIntervalMs === undefined ? {} : { pollIntervalMs: o.pollIntervalMs }),
  });
  const streams = new Set<EventStreamHandle>();
  const context: ApiContext = {
    node,
    conversations: () => conversationsOf(node),
    feed,
    version: o.version,
    maxBodyBytes: () => node.config.api.maxBodyBytes,
    maxEventStreams: () => node.config.api.maxEventStreams,
    eventStreamBufferBytes: () => node.config.api.eventStreamBufferBytes,
    eventStreamStallMs: () => node.config.api.eventStreamStallMs,
    heartbeatMs: o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    streams,
    signal: stopping.signal,
  };
  const app = createApiApp(context, {
    boundHost: o.host,
    boundIsLoopback,
    port: o.port,
    tokenRequired: () => !boundIsLoopback || node.config.api.requireToken,
    authenticate: (given, client) => tokens.authenticate(given, client),
  });
  return {
    app,
    context,
    shutdown: () => {
      stopping.abort();
      for (const s of [...streams]) s.close();
      feed.close();
    },
  };
}

export async function startApi(node: MeshNode, o: ApiServerOptions): Promise<RunningApi> {
  let port = o.port;
  const api = buildApi(node, { ...o, port: () => port });
  const listener = await startHttpListener(api.app, o.host, o.port, { closeGraceMs: 2_000 });
  port = listener.port;
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  return {
    host: listener.host,
    port,
    url: `http://${host}:${port}`,
    tokenRequired: !isLoopbackHost(o.host) || node.config.api.requireToken,
    close: async () => {
      api.shutdown();
      await listener.close();
    },
  };
}

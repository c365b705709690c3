/**
 * The node daemon: HTTP receiver (+ served files), outbox worker, hand-off worker and housekeeping in
 * one process. Stops cleanly: first the listener (in-flight requests finish), then the workers (in-flight
 * attempts finish), then the store.
 */
import { startBackground } from '../node/background.ts';
import type { MeshNode } from '../node/mesh-node.ts';
import { createNodeApp, startNodeServer } from '../node/node-http.ts';
import { acquireServeLock } from '../node/serve-lock.ts';

export interface DaemonOptions {
  host: string;
  port: number;
  version: string;
}

export interface RunningDaemon {
  host: string;
  port: number;
  stop(): Promise<void>;
}

export async function startDaemon(node: MeshNode, o: DaemonOptions): Promise<RunningDaemon> {
  node.hookToken(); // fail fast when peers could not authenticate
  // One daemon per home, checked before anything else so a second one says so rather than failing
  // on the port the first one holds.
  const lock = acquireServeLock(node.layout, process.pid, node.clock.now());
  let background: ReturnType<typeof startBackground> | null = null;
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  try {
    void node.store; // open (and migrate) the database before accepting traffic
    const app = createNodeApp(node, o.version, { onAccepted: () => background?.kickHandOff(), onForwarded: () => background?.kickOutbox() });
    server = await startNodeServer(app, o.host, o.port);
  } catch (e) {
    lock.release();
    throw e;
  }
  background = startBackground(node);
  node.logger.info('mesh serve started', { agent: node.self, host: server.host, port: server.port, handOff: node.config.inbound.handOff });
  let stopping: Promise<void> | null = null;
  return {
    host: server.host,
    port: server.port,
    stop: () => (stopping ??= (async () => {
      node.logger.info('mesh serve stopping');
      await server.close();
      await background?.stop();
      await node.close();
      lock.release();
      node.logger.info('mesh serve stopped');
    })()),
  };
}

/**
 * The node daemon: HTTP receiver (+ served files), outbox worker, hand-off worker and housekeeping in
 * one process. Stops cleanly: first the listener (in-flight requests finish), then the workers (in-flight
 * attempts finish), then the store.
 */
import { startBackground } from '../node/background.ts';
import type { MeshNode } from '../node/mesh-node.ts';
import { createNodeApp, startNodeServer } from '../node/node-http.ts';

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
  void node.store; // open (and migrate) the database before accepting traffic
  let background: ReturnType<typeof startBackground> | null = null;
  const app = createNodeApp(node, o.version, () => background?.kickHandOff());
  const server = await startNodeServer(app, o.host, o.port);
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
      node.logger.info('mesh serve stopped');
    })()),
  };
}

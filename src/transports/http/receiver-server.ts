/**
 * Runs a receiver app on node:http through @hono/node-server. Binds loopback unless told otherwise;
 * port 0 picks a free port (the real one is returned).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import type { ReceiverApp } from './receiver-app.ts';

/** Like OpenClaw's hook body-read timeout: a client that trickles its request is cut off (Node answers 408). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_CLOSE_GRACE_MS = 5_000;

/** Any Hono-style app: the hooks receiver, or another listener's app (the local API). */
export interface FetchApp {
  fetch: ReceiverApp['fetch'];
}

export interface StartReceiverOptions {
  app: FetchApp;
  host?: string;
  port: number;
  requestTimeoutMs?: number;
  /** How long close() lets in-flight requests finish before dropping their connections. */
  closeGraceMs?: number;
  /**
   * Let @hono/node-server replace the process-wide Request/Response with its lighter classes
   * (measurably faster). Off by default: a library should not change globals; the daemon may opt in.
   */
  overrideGlobalObjects?: boolean;
}

export interface RunningReceiver {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Says which of the usual reasons stopped the listener, with the system's code for searching. */
function listenError(host: string, port: number, err: NodeJS.ErrnoException): MeshError {
  const details = { host, port, errno: err.code };
  switch (err.code) {
    case 'EADDRINUSE':
      return new MeshError(MeshErrorCode.AddressInUse, `port ${port} on ${host} is in use (EADDRINUSE)`, { cause: err, details });
    case 'EACCES':
      return new MeshError(MeshErrorCode.Internal, `not allowed to listen on ${host}:${port} (EACCES): ports below 1024 need privileges`, { cause: err, details });
    case 'EADDRNOTAVAIL':
      return new MeshError(MeshErrorCode.Internal, `${host} is not an address of this host (EADDRNOTAVAIL)`, { cause: err, details });
    default:
      return new MeshError(MeshErrorCode.Internal, `cannot listen on ${host}:${port} (${err.code ?? err.message})`, { cause: err, details });
  }
}

export function startReceiver(o: StartReceiverOptions): Promise<RunningReceiver> {
  const host = o.host ?? '127.0.0.1';
  const graceMs = o.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: o.app.fetch,
      hostname: host,
      port: o.port,
      overrideGlobalObjects: o.overrideGlobalObjects ?? false,
    }) as Server;
    server.requestTimeout = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    server.headersTimeout = Math.min(server.headersTimeout, server.requestTimeout);
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(listenError(host, o.port, err));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      const port = (server.address() as AddressInfo).port;
      resolve({
        host,
        port,
        close: () =>
          new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

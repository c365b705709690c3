/**
 * A node:http server on 127.0.0.1, port 0, that records every request and answers through a
 * test-supplied handler. For transport and adapter tests that need a real peer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Client-side port of the connection: equal values mean a reused keep-alive connection. */
  remotePort: number;
}

export type Responder = (req: RecordedRequest, res: http.ServerResponse) => void;

export interface LoopbackServer {
  readonly baseUrl: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  respond: Responder;
  close(): Promise<void>;
}

export async function startLoopbackServer(respond: Responder): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const state = { respond };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), remotePort: req.socket.remotePort ?? 0 };
      requests.push(rec);
      state.respond(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    get respond() {
      return state.respond;
    },
    set respond(r: Responder) {
      state.respond = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A port that was just free: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

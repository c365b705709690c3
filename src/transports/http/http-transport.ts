/**
 * Outbound HTTP transport on node:http/node:https with keep-alive agents.
 *
 * node:http rather than fetch: it can bound the connect phase separately from the whole attempt,
 * never follows redirects, lets us stop reading a large response body, and measured about 2.5×
 * the throughput of Node 24's fetch on loopback (see the adapter's report).
 *
 * Contract (ports/transport.ts): never throws; network problems come back as `networkError` codes,
 * any HTTP answer (including 3xx) as `status`. Tokens never appear in results or errors.
 */
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { OutboundRequest, Transport, TransportResult } from '../../ports/transport.ts';
import { BODY_SNIPPET_MAX_BYTES, bodySnippet } from './body-snippet.ts';
import { networkErrorCode, type NetworkErrorCode } from './network-error.ts';
import { parseRetryAfter } from './retry-after.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export { BODY_SNIPPET_MAX_BYTES };
/** After the snippet, keep draining up to this much so the socket can be reused; beyond it, drop it. */
const DRAIN_MAX_BYTES = 64 * 1024;

export interface HttpTransportOptions {
  clock?: Clock;
  /** Default total timeout per attempt when a request does not say (ms). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Upper bound of concurrent sockets per origin. */
  maxSocketsPerHost?: number;
  /** Idle keep-alive sockets are closed after this long (a server hint `Keep-Alive: timeout=N` may shorten it). */
  idleSocketTimeoutMs?: number;
  userAgent?: string;
}

/** Thrown internally to tell our own timeouts apart from socket errors. */
class AttemptTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

interface Attempt {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | null;
  token: string | null;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** How much of the answer's body to keep (≤ DRAIN_MAX_BYTES). */
  keepBytes: number;
}

export function createHttpTransport(options: HttpTransportOptions = {}): Transport {
  const clock = options.clock ?? systemClock;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const defaultConnectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const userAgent = options.userAgent ?? 'openclaw-mesh';
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSocketsPerHost ?? 64,
    // The agent applies `timeout` to idle sockets in its free pool and destroys them; active
    // requests are bounded by our own timers instead.
    timeout: options.idleSocketTimeoutMs ?? 4_000,
  };
  // Loaded on first use with process.getBuiltinModule: an ESM `import` of node:http evaluates every
  // export, which pulls in undici (~25 ms of a `mesh send`), and node:https is only needed for
  // https peers (~10 ms more).
  let plain: { mod: typeof Http; agent: Http.Agent } | null = null;
  let tls: { mod: typeof Https; agent: Https.Agent } | null = null;
  function client(isHttps: boolean): { mod: typeof Http | typeof Https; agent: Http.Agent } {
    if (isHttps) {
      if (tls === null) {
        const mod = process.getBuiltinModule('node:https');
        tls = { mod, agent: new mod.Agent(agentOptions) };
      }
      return tls;
    }
    if (plain === null) {
      const mod = process.getBuiltinModule('node:http');
      plain = { mod, agent: new mod.Agent(agentOptions) };
    }
    return plain;
  }

  function attempt(a: Attempt): Promise<TransportResult> {
    const started = clock.now();
    const result = (partial: Omit<TransportResult, 'elapsedMs'>): TransportResult => ({
      ...partial,
      elapsedMs: Math.max(0, clock.now() - started),
    });
    const failure = (code: NetworkErrorCode): TransportResult =>
      result({ status: null, networkError: code, retryAfterMs: null, bodySnippet: '' });

    let target: URL;
    try {
      target = new URL(a.url);
    } catch {
      return Promise.resolve(failure('invalid_request'));
    }
    const isHttps = target.protocol === 'https:';
    if (!isHttps && target.protocol !== 'http:') return Promise.resolve(failure('invalid_request'));

    return new Promise<TransportResult>((resolve) => {
      let settled = false;
      const timers: { total?: NodeJS.Timeout; connect?: NodeJS.Timeout } = {};
      const finish = (r: TransportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timers.total);
        clearTimeout(timers.connect);
        resolve(r);
      };

      let req: Http.ClientRequest;
      try {
        const { mod, agent } = client(isHttps);
        req = mod.request(target, {
          method: a.method,
          agent,
          headers: a.headers,
        });
      } catch (err) {
        // Invalid header values (e.g. a token with a newline) throw synchronously.
        finish(failure(networkErrorCode(err)));
        return;
      }

      const abort = (): void => {
        req.destroy(new AttemptTimeout('attempt timed out'));
      };
      timers.total = setTimeout(abort, a.timeoutMs);
      req.on('socket', (socket: Socket) => {
        // A reused keep-alive socket is already connected: only fresh ones get a connect deadline.
        if (!socket.connecting) return;
        timers.connect = setTimeout(abort, a.connectTimeoutMs);
        socket.once(isHttps ? 'secureConnect' : 'connect', () => clearTimeout(timers.connect));
      });
      req.on('error', (err) => {
        finish(failure(networkErrorCode(err)));
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? null;
        const retryAfterHeader = res.headers['retry-after'];
        const retryAfterMs = parseRetryAfter(
          Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader,
          clock.now(),
        );
        const chunks: Buffer[] = [];
        // A token's length more than the snippet keeps, so an echoed token the cut would split is
        // read whole and blanked before the cut (snippet()).
        const keepRead = a.keepBytes + (a.token === null ? 0 : Buffer.byteLength(a.token, 'utf8'));
        let kept = 0;
        let seen = 0;
        const done = (): void => {
          finish(
            result({ status, networkError: null, retryAfterMs, bodySnippet: snippet(chunks, a.token, a.keepBytes) }),
          );
        };
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (kept < keepRead) {
            const part = chunk.subarray(0, keepRead - kept);
            chunks.push(part);
            kept += part.length;
          }
          if (seen > DRAIN_MAX_BYTES && seen >= keepRead) {
            // Enough: report what we have and drop the connection rather than read on.
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        // The status line arrived, so a body cut short (peer reset, our timeout) still counts as an answer.
        res.on('error', done);
        res.on('close', done);
      });
      req.end(a.body ?? undefined);
    });
  }

  function headersFor(token: string | null, extra: Readonly<Record<string, string>> | undefined, body: string | null): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': userAgent, accept: 'application/json, */*' };
    for (const [k, v] of Object.entries(extra ?? {})) h[k.toLowerCase()] = v;
    if (body !== null) {
      h['content-type'] = 'application/json';
      h['content-length'] = String(Buffer.byteLength(body, 'utf8'));
    }
    if (token !== null && token !== '') h['authorization'] = `Bearer ${token}`;
    return h;
  }

  return {
    send(req: OutboundRequest): Promise<TransportResult> {
      return attempt({
        url: req.url,
        method: 'POST',
        headers: headersFor(req.token, req.headers, req.body),
        body: req.body,
        token: req.token,
        timeoutMs: req.timeoutMs > 0 ? req.timeoutMs : defaultTimeoutMs,
        connectTimeoutMs: req.connectTimeoutMs ?? Math.min(defaultConnectTimeoutMs, req.timeoutMs || defaultTimeoutMs),
        keepBytes: Math.min(Math.max(req.keepBodyBytes ?? BODY_SNIPPET_MAX_BYTES, 0), DRAIN_MAX_BYTES),
      });
    },
    probe(baseUrl: string, timeoutMs: number): Promise<TransportResult> {
      const t = timeoutMs > 0 ? timeoutMs : defaultTimeoutMs;
      return attempt({
        url: `${baseUrl.replace(/\/+$/, '')}/health`,
        method: 'GET',
        headers: headersFor(null, undefined, null),
        body: null,
        token: null,
        timeoutMs: t,
        connectTimeoutMs: Math.min(defaultConnectTimeoutMs, t),
        keepBytes: BODY_SNIPPET_MAX_BYTES,
      });
    },
    close(): Promise<void> {
      plain?.agent.destroy();
      tls?.agent.destroy();
      return Promise.resolve();
    },
  };
}

/** UTF-8 text of the first `keepBytes` bytes, with a token the peer might echo back blanked out (before the cut). */
function snippet(chunks: readonly Buffer[], token: string | null, keepBytes: number): string {
  return bodySnippet(Buffer.concat(chunks).toString('utf8'), token, keepBytes);
}

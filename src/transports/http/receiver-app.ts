/**
 * The node's inbound HTTP app (Hono): `POST /hooks/<sender>` and `POST /hooks/agent` behave like an
 * OpenClaw gateway's hook endpoints (openclaw-hooks.md §2–3) so bash peers and OpenClaw-style
 * senders need no changes, then hand the body to the injected inbound pipeline. `GET /health`
 * answers like the gateway's probe. The daemon mounts its other routes on the returned app.
 *
 * Order of checks (cheap and secret-free first): query token → 400, method → 405, per-address
 * rate → 429, hook token → 401 (429 once a client keeps failing), declared size → 413, streamed
 * size → 413, then the pipeline decides the answer (including the per-sender rate limit, which it
 * charges only once it knows who sent the message: a request naming a sender proves nothing, so
 * charging the sender here would let anyone holding the hook token starve that sender).
 *
 * `POST /hooks/<sender>/batch` (protocol/hook-batch.ts, when `batches` is on) passes the same checks
 * with its own size limit, charges the per-address limit once per item, and runs every item through
 * the same handler as a single POST.
 *
 * The per-address limit is generous: it bounds the CPU one client can make us spend on reading,
 * parsing and verifying, and the rate at which it can guess tokens, not any sender's share.
 */
import type { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { systemClock, type Clock } from '../../ports/clock.ts';
import { silentLogger, type Logger } from '../../ports/logger.ts';
import { MeshError, MeshErrorCode, isMeshError } from '../../protocol/errors.ts';
import { BATCH_MAX_BYTES, BATCH_PATH_SUFFIX, parseBatchRequest, type BatchItemResult } from '../../protocol/hook-batch.ts';
import { WireCode } from '../../protocol/wire-codes.ts';
import { createAuthFailureLimiter } from './auth-failure-limiter.ts';
import { extractHookToken, tokensEqual } from './hook-token.ts';
import { readLimitedIncoming, readLimitedStream, type BodyRead } from './read-limited-body.ts';
import type { InboundHandler, ReceiverInboundResult } from './receiver-types.ts';
import type { RateLimit } from '../../ports/rate-limit.ts';
import { createRateLimiter } from './token-bucket.ts';

/** OpenClaw's DEFAULT_HOOKS_MAX_BODY_BYTES. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** Hook requests per second one client address may make, sustained (any sender, any outcome). */
export const DEFAULT_ADDRESS_RATE_PER_SECOND = 200;
/** Hook requests one client address may make in a burst. */
export const DEFAULT_ADDRESS_RATE_BURST = 1000;

/** What @hono/node-server puts in `c.env`; absent under `app.request()`. */
export interface ReceiverBindings {
  incoming?: Readable & { socket?: { remoteAddress?: string } };
}
export interface ReceiverEnv {
  Bindings: ReceiverBindings;
}
export type ReceiverApp = Hono<ReceiverEnv>;

export interface ReceiverAppOptions {
  /** This node's agent name (shown by /health). */
  agentName: string;
  version: string;
  /** What /health advertises (protocol/node-features.ts), read per request; absent: no `features` key. */
  features?: () => readonly string[];
  /** The node's hook token, or a getter so a reloaded config takes effect without a restart. */
  hookToken: string | (() => string);
  handle: InboundHandler;
  clock?: Clock;
  logger?: Logger;
  /** Largest accepted body, or a getter read per request (live configuration). */
  maxBodyBytes?: number | (() => number);
  /**
   * Token bucket per client address, charged before authentication: its settings, a ready limiter
   * (e.g. one that follows live configuration), or `false` to turn it off.
   */
  addressRateLimit?: { ratePerSecond: number; burst: number } | RateLimit | false;
  authFailures?: { maxFailures?: number; windowMs?: number; lockoutMs?: number };
  /** Accept `POST /hooks/<sender>/batch` (protocol/hook-batch.ts). The caller advertises it (`batch/1` in `features`). */
  batches?: boolean;
  /** Identifies the client for auth throttling (default: the socket's remote address). */
  clientKey?: (c: Context<ReceiverEnv>) => string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const noBody = status === 204 || status === 304;
  return new Response(noBody ? null : JSON.stringify(body), {
    status,
    headers: noBody ? headers : { 'content-type': JSON_TYPE, ...headers },
  });
}

function fail(status: number, code: WireCode, error: string, headers: Record<string, string> = {}): Response {
  return jsonResponse(status, { ok: false, code, error }, headers);
}

const retryAfterHeader = (ms: number): Record<string, string> => ({ 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });

function defaultClientKey(c: Context<ReceiverEnv>): string {
  const env = c.env as ReceiverBindings | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

export function createReceiverApp(o: ReceiverAppOptions): ReceiverApp {
  const tokenOf = typeof o.hookToken === 'function' ? o.hookToken : () => o.hookToken as string;
  if (typeof o.hookToken === 'string' && o.hookToken.trim() === '') {
    throw new MeshError(MeshErrorCode.ConfigInvalid, 'the receiver needs a non-empty hook token');
  }
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? silentLogger;
  const bodyLimit = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBodyBytesNow = (): number => {
    const v = typeof bodyLimit === 'function' ? bodyLimit() : bodyLimit;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new MeshError(MeshErrorCode.ConfigInvalid, 'maxBodyBytes must be a positive integer', { details: { maxBodyBytes: v } });
    }
    return v;
  };
  maxBodyBytesNow();
  const clientKey = o.clientKey ?? defaultClientKey;
  const authLimiter = createAuthFailureLimiter({ clock, ...o.authFailures });
  const rate = o.addressRateLimit ?? { ratePerSecond: DEFAULT_ADDRESS_RATE_PER_SECOND, burst: DEFAULT_ADDRESS_RATE_BURST };
  const addressLimiter = rate === false ? null : 'take' in rate ? rate : createRateLimiter({ clock, ...rate });

  const app = new Hono<ReceiverEnv>();

  /**
   * The checks every hook POST passes before its body is read, cheapest first; the per-address limit
   * is charged one request (a batch pays for its other items once they are counted). Returns the
   * refusal, or null to go on.
   */
  function gate(c: Context<ReceiverEnv>): Response | null {
    if (c.req.query('token') !== undefined) {
      return fail(400, WireCode.MalformedBody, 'send the hook token in the Authorization: Bearer or X-OpenClaw-Token header, not in the query');
    }
    if (c.req.method !== 'POST') return fail(405, WireCode.MethodNotAllowed, 'use POST', { allow: 'POST' });
    const client = clientKey(c);
    const limited = takeAddress(client, 1);
    if (limited !== null) return limited;
    const given = extractHookToken(c.req.header('authorization'), c.req.header('x-openclaw-token'));
    const expected = tokenOf();
    if (given === null || expected === '' || !tokensEqual(given, expected)) {
      const lockedMs = authLimiter.lockedFor(client);
      if (lockedMs > 0) return fail(429, WireCode.RateLimited, 'too many failed authentication attempts', retryAfterHeader(lockedMs));
      if (authLimiter.fail(client)) logger.warn('hook auth lockout', { client });
      return fail(401, WireCode.Unauthorized, 'missing or invalid hook token');
    }
    return null;
  }

  function takeAddress(client: string, count: number): Response | null {
    if (addressLimiter === null) return null;
    for (let i = 0; i < count; i++) {
      const taken = addressLimiter.take(client);
      if (!taken.ok) return fail(429, WireCode.RateLimited, 'too many requests from this address', retryAfterHeader(taken.retryAfterMs));
    }
    return null;
  }

  /** Reads the body up to `limit` bytes; a Response when it cannot. */
  async function body(c: Context<ReceiverEnv>, limit: number): Promise<string | Response> {
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > limit) return fail(413, WireCode.PayloadTooLarge, `body exceeds ${limit} bytes`);
    const read = await readBody(c, limit);
    if (read.ok) return read.text;
    if (read.reason === 'too_large') return fail(413, WireCode.PayloadTooLarge, `body exceeds ${limit} bytes`);
    if (read.reason === 'invalid_utf8') return fail(400, WireCode.MalformedBody, 'body is not valid UTF-8');
    return fail(400, WireCode.MalformedBody, 'request body was cut short');
  }

  async function hook(c: Context<ReceiverEnv>, pathSender: string | null): Promise<Response> {
    const refused = gate(c);
    if (refused !== null) return refused;
    const text = await body(c, maxBodyBytesNow());
    if (typeof text !== 'string') return text;
    const result = await o.handle({ pathSender, bodyText: text, wrapped: true });
    return answer(result);
  }

  /** protocol/hook-batch.ts: each item goes through the same handler as a single POST would. */
  async function batch(c: Context<ReceiverEnv>, pathSender: string): Promise<Response> {
    const refused = gate(c);
    if (refused !== null) return refused;
    const text = await body(c, BATCH_MAX_BYTES);
    if (typeof text !== 'string') return text;
    const parsed = parseBatchRequest(text);
    if (!parsed.ok) return fail(400, WireCode.MalformedBody, parsed.error);
    const limited = takeAddress(clientKey(c), parsed.items.length - 1);
    if (limited !== null) return limited;
    // How many envelopes arrive framed together (operators and tests see batching work); no peer text.
    logger.debug('hook batch', { items: parsed.items.length });
    const maxBodyBytes = maxBodyBytesNow();
    const results = await Promise.all(parsed.items.map((item): ReceiverInboundResult | Promise<ReceiverInboundResult> =>
      Buffer.byteLength(item, 'utf8') > maxBodyBytes
        ? { status: 413, body: { ok: false, code: WireCode.PayloadTooLarge, error: `body exceeds ${maxBodyBytes} bytes` } }
        : o.handle({ pathSender, bodyText: item, wrapped: true })));
    return jsonResponse(200, { ok: true, results: results.map(itemResult) });
  }

  function itemResult(r: ReceiverInboundResult): BatchItemResult {
    checkStatus(r.status);
    const wait = r.retryAfterMs;
    return { status: r.status, body: r.body, ...(wait !== undefined && wait > 0 ? { retryAfterMs: wait } : {}) };
  }

  function readBody(c: Context<ReceiverEnv>, maxBodyBytes: number): Promise<BodyRead> {
    // Under @hono/node-server, reading the Node request directly avoids building a web stream
    // (about 2.5x the throughput); app.request() and other runtimes go through the web stream.
    const incoming = (c.env as ReceiverBindings | undefined)?.incoming;
    return incoming !== undefined && typeof incoming.on === 'function'
      ? readLimitedIncoming(incoming, maxBodyBytes)
      : readLimitedStream(c.req.raw.body, maxBodyBytes);
  }

  function checkStatus(status: number): void {
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new MeshError(MeshErrorCode.Internal, 'inbound handler returned an invalid status', { details: { status } });
    }
  }

  function answer(result: ReceiverInboundResult): Response {
    const { status } = result;
    checkStatus(status);
    const wait = result.retryAfterMs;
    return jsonResponse(status, result.body, wait !== undefined && wait > 0 ? retryAfterHeader(wait) : {});
  }

  app.all('/hooks/agent', (c) => hook(c, null));
  if (o.batches === true) app.all(`/hooks/:sender${BATCH_PATH_SUFFIX}`, (c) => batch(c, c.req.param('sender')));
  app.all('/hooks/:sender', (c) => hook(c, c.req.param('sender')));

  // Unauthenticated and cheap: it never touches the store or wakes the agent (OpenClaw's answers the same way).
  const health = (): Response => jsonResponse(200, {
    ok: true, status: 'live', agent: o.agentName, version: o.version, ...(o.features === undefined ? {} : { features: o.features() }),
  });
  app.on(['GET', 'HEAD'], ['/health', '/healthz'], health);
  app.all('/health', () => fail(405, WireCode.MethodNotAllowed, 'use GET', { allow: 'GET, HEAD' }));
  app.all('/healthz', () => fail(405, WireCode.MethodNotAllowed, 'use GET', { allow: 'GET, HEAD' }));

  app.notFound(() => fail(404, WireCode.NotFound, 'not found'));
  app.onError((err) => {
    // Details stay in the log (MeshError messages are secret-free by contract); the client learns nothing.
    logger.error('receiver request failed', isMeshError(err) ? { code: err.code, error: err.message } : { error: err.name });
    return fail(500, WireCode.Internal, 'internal error');
  });
  return app;
}

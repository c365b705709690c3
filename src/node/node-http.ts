/**
 * The node's HTTP surface, built here (composition root) from the receiver adapter and the inbound
 * pipeline, so the daemon (server/) mounts it without importing adapters.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createReceiverApp, type ReceiverApp, type ReceiverEnv } from '../transports/http/receiver-app.ts';
import { startReceiver, type FetchApp, type RunningReceiver } from '../transports/http/receiver-server.ts';
import type { InboundRequest, InboundResult } from '../inbound/types.ts';
import { readLimitedStream, type BodyRead } from '../transports/http/read-limited-body.ts';
import type { Logger } from '../ports/logger.ts';
import { isMeshError, MeshErrorCode } from '../protocol/errors.ts';
import { WireCode, wireCodeStatus } from '../protocol/wire-codes.ts';
import { SERVED_FILE_KEY_PREFIX, type ServedFile } from './attachments.ts';
import { createGroupCommit } from './group-commit.ts';
import type { MeshNode } from './mesh-node.ts';
import { liveRateLimit } from './live-rate-limit.ts';
import { healthFeatures } from './node-fleet.ts';
import { createNodeInbound } from './node-inbound.ts';

export type { BodyRead, FetchApp, ReceiverApp, ReceiverEnv, RunningReceiver };
/** Reads a request body up to a byte limit without buffering more (for the daemon's other listeners). */
export { readLimitedStream };

/**
 * The answer to every message of a batch whose transaction could not commit: none was stored, so
 * none is acknowledged. A full disk says so (507 storage_full: the sender retries later) and the
 * log names the database, so the operator knows what to free.
 */
export function batchFailureResult(logger: Logger, e: unknown): InboundResult {
  if (isMeshError(e) && e.code === MeshErrorCode.StoreFull) {
    logger.error('inbound: disk full: could not store a batch of messages', { path: e.details['path'] ?? null });
    return { status: wireCodeStatus[WireCode.StorageFull], body: { ok: false, code: WireCode.StorageFull, error: 'the receiver is out of storage space; try again later' } };
  }
  logger.error('inbound: could not commit a batch of messages', { error: (e as { code?: string }).code ?? 'unknown' });
  return { status: wireCodeStatus[WireCode.Internal], body: { ok: false, code: WireCode.Internal, error: 'internal error' } };
}

/** What the daemon's workers are told when a request left them work. */
export interface AppHooks {
  /** A message was accepted for this node's agent: look at the hand-off queue. */
  onAccepted?: () => void;
  /** A relayed envelope was queued for forwarding: look at the outbox. */
  onForwarded?: () => void;
}

export function createNodeApp(node: MeshNode, version: string, hooks: AppHooks = {}): ReceiverApp {
  // One budget per sender, charged by the pipeline once the sender is authenticated; the HTTP
  // adapter only keeps a generous per-address limit in front of it. Both, and the body limit,
  // follow config/mesh.json while the daemon runs.
  const senderRateLimit = liveRateLimit(node.clock, () => ({ ratePerSecond: node.config.serve.rateLimitPerSecond, burst: node.config.serve.rateLimitBurst }));
  const pipeline = createNodeInbound(node, senderRateLimit);
  const handleInGroup = createGroupCommit<InboundRequest, InboundResult>({
    store: node.store,
    handle: (req) => pipeline.handle(req),
    onBatchFailure: (e) => batchFailureResult(node.logger, e),
  });
  const app = createReceiverApp({
    agentName: node.self,
    version,
    features: () => healthFeatures(node),
    batches: true,
    hookToken: () => node.hookToken(),
    handle: async (req) => {
      const res = await handleInGroup(req);
      if (res.forwarded === true) hooks.onForwarded?.();
      else if (res.status >= 200 && res.status < 300 && res.body.duplicate !== true) hooks.onAccepted?.();
      return res;
    },
    clock: node.clock,
    logger: node.logger,
    maxBodyBytes: () => node.config.serve.maxBodyBytes,
    addressRateLimit: liveRateLimit(node.clock, () => ({ ratePerSecond: node.config.serve.addressRateLimitPerSecond, burst: node.config.serve.addressRateLimitBurst })),
  });
  // Large attachments: one file per unguessable token, until it expires. Never a directory listing.
  app.get('/files/:token/:name', (c) => {
    const token = c.req.param('token');
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return c.json({ ok: false, code: 'not_found' }, 404);
    const meta = node.store.kv.get(`${SERVED_FILE_KEY_PREFIX}${token}`) as ServedFile | null;
    if (meta === null || meta.expiresAt <= node.clock.now()) return c.json({ ok: false, code: 'not_found' }, 404);
    const body = Readable.toWeb(createReadStream(meta.path)) as ReadableStream;
    return new Response(body, {
      headers: {
        'content-type': meta.mimeType,
        'content-length': String(meta.size),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(meta.name)}`,
        'cache-control': 'no-store',
        // The browser must take the declared type (never sniff an .html/.svg out of a .txt) and must
        // not run anything it renders from this origin.
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      },
    });
  });
  return app;
}

export function startNodeServer(app: ReceiverApp, host: string, port: number): Promise<RunningReceiver> {
  return startReceiver({ app, host, port });
}

/**
 * Runs another app of the daemon (the local API) on node:http the same way: loopback unless told
 * otherwise, a request-read timeout, a bounded close. `closeGraceMs` bounds how long close() lets
 * in-flight requests finish.
 */
export function startHttpListener(app: FetchApp, host: string, port: number, opts: { closeGraceMs?: number } = {}): Promise<RunningReceiver> {
  return startReceiver({ app, host, port, ...(opts.closeGraceMs === undefined ? {} : { closeGraceMs: opts.closeGraceMs }) });
}

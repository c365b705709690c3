/**
 * MESH as an A2A 1.0 server on the hooks listener (docs/a2a.md), when `a2a.enabled`:
 *   GET  /.well-known/agent-card.json   the Agent Card (public)
 *   POST /a2a/v1                        JSON-RPC 2.0: SendMessage, SendStreamingMessage, GetTask,
 *                                       ListTasks, CancelTask, SubscribeToTask
 * Checks, cheap and secret-free first: bearer token of a registry `a2aClients` entry (401, then 429
 * for a client that keeps failing) → declared and streamed size (413) → JSON (-32700) → JSON-RPC
 * shape (-32600; batches refused) → method (-32601) → params schema (-32602) → the use case.
 * Errors never quote the request or a token. A client sees only its own tasks.
 */
import type { Context, Hono } from 'hono';
import {
  A2A_CARD_PATH, A2A_JSONRPC_PATH, A2AErrorCode, A2ARpcError, type JsonRpcId,
} from '../../protocol/a2a/a2a-wire.ts';
import {
  A2A_DEFAULT_PAGE_SIZE, cancelTaskParamsSchema, getTaskParamsSchema, jsonRpcRequestSchema, listTasksParamsSchema,
  schemaProblem, sendMessageParamsSchema, subscribeParamsSchema,
} from '../../protocol/a2a/a2a-schema.ts';
import { isTerminalTaskState, type A2ATaskRecord } from '../../ports/a2a-tasks.ts';
import type { A2AClient } from '../../node/a2a/a2a-clients.ts';
import { createA2AFeed, type A2AFeed } from '../../node/a2a/a2a-feed.ts';
import { createA2AAuth, readLimitedStream } from '../../node/a2a/a2a-http.ts';
import { acceptA2AMessage, cancelA2ATask, clientTask } from '../../node/a2a/a2a-tasks.ts';
import { taskView } from '../../node/a2a/a2a-task-view.ts';
import type { MeshNode } from '../../node/mesh-node.ts';
import type { ReceiverEnv } from '../../node/node-http.ts';
import { agentCard } from './agent-card.ts';
import { taskStream } from './a2a-stream.ts';

/** Streams open at once on one daemon; more are refused (each holds a connection and a watcher). */
export const DEFAULT_A2A_MAX_STREAMS = 64;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface A2ARoutes {
  close(): void;
}

type ServerEnv = ReceiverEnv;

const rpcResult = (id: JsonRpcId, result: unknown): Response =>
  new Response(JSON.stringify({ jsonrpc: '2.0', id, result }), { status: 200, headers: { 'content-type': JSON_TYPE } });
const rpcError = (id: JsonRpcId, code: number, message: string, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }), { status, headers: { 'content-type': JSON_TYPE, ...headers } });

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: unknown } }, v: unknown): T {
  const r = schema.safeParse(v ?? {});
  if (!r.success) throw new A2ARpcError(A2AErrorCode.InvalidParams, schemaProblem(r.error as Parameters<typeof schemaProblem>[0]));
  return r.data;
}

/** Waits until the task finishes, the time is up, the client left or the daemon stops. */
async function settled(node: MeshNode, feed: A2AFeed, t: A2ATaskRecord, timeoutMs: number, signals: AbortSignal[]): Promise<A2ATaskRecord> {
  let current = t;
  const deadline = node.clock.now() + timeoutMs;
  while (!isTerminalTaskState(current.state) && node.clock.now() < deadline && !signals.some((s) => s.aborted)) {
    await new Promise<void>((resolve) => {
      const unwatch = feed.watch(t.id, done);
      const timer = setTimeout(done, Math.max(1, deadline - node.clock.now()));
      for (const s of signals) s.addEventListener('abort', done, { once: true });
      function done(): void {
        unwatch();
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener('abort', done);
        resolve();
      }
    });
    current = node.store.a2aTasks.get(t.id) ?? current;
  }
  return current;
}

function pageToken(t: A2ATaskRecord): string {
  return Buffer.from(JSON.stringify([t.createdAt, t.id])).toString('base64url');
}
function parsePageToken(s: string | undefined): { createdAt: number; id: string } | undefined {
  if (s === undefined || s === '') return undefined;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].length <= 128) return { createdAt: v[0] as number, id: v[1] };
  } catch {
    // fall through
  }
  throw new A2ARpcError(A2AErrorCode.InvalidParams, 'pageToken: not a token this server gave');
}

export function mountA2ARoutes(app: Hono<ServerEnv>, node: MeshNode, o: { version: string; onAccepted: () => void }): A2ARoutes {
  const feed = createA2AFeed(node);
  const authenticate = createA2AAuth(node);
  const stopping = new AbortController();
  let streams = 0;

  const card = (c: Context<ServerEnv>): Response => {
    if (!node.config.a2a.enabled) return c.json({ ok: false, code: 'not_found', error: 'not found' }, 404);
    const base = node.config.a2a.advertisedUrl ?? new URL(c.req.url).origin;
    return new Response(JSON.stringify(agentCard(node, base, o.version)), { headers: { 'content-type': JSON_TYPE, 'cache-control': 'max-age=60' } });
  };
  app.get(A2A_CARD_PATH, card);
  app.get('/.well-known/agent.json', card);

  async function call(client: A2AClient, id: JsonRpcId, method: string, params: unknown, c: Context<ServerEnv>): Promise<Response> {
    const cfg = node.config.a2a;
    switch (method) {
      case 'SendMessage': {
        const p = parse(sendMessageParamsSchema, params);
        const { task, duplicate } = acceptA2AMessage(node, client, p);
        if (!duplicate) o.onAccepted();
        feed.kick();
        const view = { historyLength: p.configuration?.historyLength };
        if (p.configuration?.returnImmediately === true) return rpcResult(id, { task: taskView(task, view) });
        const done = await settled(node, feed, task, cfg.blockingTimeoutMs, [stopping.signal, c.req.raw.signal]);
        return rpcResult(id, { task: taskView(done, view) });
      }
      case 'SendStreamingMessage': {
        const p = parse(sendMessageParamsSchema, params);
        if (streams >= DEFAULT_A2A_MAX_STREAMS) throw new A2ARpcError(A2AErrorCode.Internal, 'too many open streams; try again later');
        const { task, duplicate } = acceptA2AMessage(node, client, p);
        if (!duplicate) o.onAccepted();
        return stream(task.id, id, null);
      }
      case 'SubscribeToTask': {
        const p = parse(subscribeParamsSchema, params);
        const last = lastEventId(c.req.header('last-event-id'));
        const t = clientTask(node, client, p.id);
        if (last === null && isTerminalTaskState(t.state)) {
          throw new A2ARpcError(A2AErrorCode.UnsupportedOperation, `task is already ${t.state}; GetTask returns it (or resume with Last-Event-ID)`);
        }
        if (streams >= DEFAULT_A2A_MAX_STREAMS) throw new A2ARpcError(A2AErrorCode.Internal, 'too many open streams; try again later');
        return stream(t.id, id, last);
      }
      case 'GetTask': {
        const p = parse(getTaskParamsSchema, params);
        return rpcResult(id, taskView(clientTask(node, client, p.id), { historyLength: p.historyLength }));
      }
      case 'ListTasks': {
        const p = parse(listTasksParamsSchema, params);
        const size = p.pageSize ?? A2A_DEFAULT_PAGE_SIZE;
        const filter = {
          client: client.name,
          ...(p.contextId === undefined ? {} : { contextId: p.contextId }),
          ...(p.status === undefined || p.status === 'TASK_STATE_UNSPECIFIED' ? {} : { state: p.status }),
        };
        const after = parsePageToken(p.pageToken);
        const rows = node.store.a2aTasks.list({ ...filter, ...(after === undefined ? {} : { after }), limit: size + 1 });
        const page = rows.slice(0, size);
        const more = rows.length > size;
        return rpcResult(id, {
          tasks: page.map((t) => taskView(t, { historyLength: p.historyLength ?? 0, includeArtifacts: p.includeArtifacts ?? false })),
          nextPageToken: more && page.length > 0 ? pageToken(page[page.length - 1] as A2ATaskRecord) : '',
          pageSize: size,
          totalSize: node.store.a2aTasks.count(filter),
        });
      }
      case 'CancelTask': {
        const p = parse(cancelTaskParamsSchema, params);
        const t = cancelA2ATask(node, client, p.id);
        feed.kick();
        return rpcResult(id, taskView(t));
      }
      case 'CreateTaskPushNotificationConfig': case 'GetTaskPushNotificationConfig':
      case 'ListTaskPushNotificationConfigs': case 'DeleteTaskPushNotificationConfig':
        throw new A2ARpcError(A2AErrorCode.PushNotificationNotSupported, 'push notifications are not supported: stream, or subscribe with Last-Event-ID');
      default:
        throw new A2ARpcError(A2AErrorCode.MethodNotFound, 'method not found');
    }
  }

  function lastEventId(h: string | undefined): number | null {
    if (h === undefined || h.trim() === '') return null;
    if (!/^\d{1,15}$/.test(h.trim())) throw new A2ARpcError(A2AErrorCode.InvalidParams, 'Last-Event-ID: not an event id this server gave');
    return Number(h.trim());
  }

  function stream(taskId: string, rpcId: JsonRpcId, afterSeq: number | null): Response {
    streams++;
    const res = taskStream(node, feed, { taskId, rpcId, afterSeq, heartbeatMs: node.config.a2a.streamHeartbeatMs, stop: stopping.signal });
    // Counted until the body ends, whichever way.
    const reader = res.body;
    if (reader === null) {
      streams--;
      return res;
    }
    let released = false;
    const release = (): void => {
      if (!released) streams--;
      released = true;
    };
    const counted = reader.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: release }));
    stopping.signal.addEventListener('abort', release, { once: true });
    return new Response(counted, { status: res.status, headers: res.headers });
  }

  app.all(A2A_JSONRPC_PATH, async (c) => {
    if (!node.config.a2a.enabled) return c.json({ ok: false, code: 'not_found', error: 'not found' }, 404);
    if (c.req.method !== 'POST') return new Response(null, { status: 405, headers: { allow: 'POST' } });
    const remote = c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
    const auth = authenticate(c.req.header('authorization'), remote);
    if (!auth.ok) {
      return auth.status === 429
        ? rpcError(null, A2AErrorCode.InvalidRequest, 'too many failed authentication attempts', 429, { 'retry-after': String(Math.ceil(auth.retryAfterMs / 1000)) })
        : rpcError(null, A2AErrorCode.InvalidRequest, 'missing or invalid bearer token', 401, { 'www-authenticate': 'Bearer' });
    }
    const max = node.config.serve.maxBodyBytes;
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > max) return rpcError(null, A2AErrorCode.InvalidRequest, `body exceeds ${max} bytes`, 413);
    const read = await readLimitedStream(c.req.raw.body, max);
    if (!read.ok) return rpcError(null, A2AErrorCode.InvalidRequest, read.reason === 'too_large' ? `body exceeds ${max} bytes` : 'unreadable body', read.reason === 'too_large' ? 413 : 400);
    let doc: unknown;
    try {
      doc = JSON.parse(read.text);
    } catch {
      return rpcError(null, A2AErrorCode.ParseError, 'body is not JSON');
    }
    if (Array.isArray(doc)) return rpcError(null, A2AErrorCode.InvalidRequest, 'batch requests are not supported');
    const env = jsonRpcRequestSchema.safeParse(doc);
    if (!env.success) return rpcError(null, A2AErrorCode.InvalidRequest, 'not a JSON-RPC 2.0 request');
    const id = env.data.id ?? null;
    const version = c.req.header('a2a-version');
    if (version !== undefined && version.trim() !== '' && !/^1(\.\d+)?$/.test(version.trim())) {
      return rpcError(id, -32009, 'A2A-Version not supported: this server speaks 1.0');
    }
    try {
      return await call(auth.client, id, env.data.method, env.data.params, c);
    } catch (e) {
      if (e instanceof A2ARpcError) return rpcError(id, e.code, e.message);
      node.logger.error('a2a: request failed', { method: env.data.method.slice(0, 64), error: (e as { code?: string }).code ?? (e as Error).name });
      return rpcError(id, A2AErrorCode.Internal, 'internal error');
    }
  });

  return {
    close() {
      stopping.abort();
      feed.close();
    },
  };
}

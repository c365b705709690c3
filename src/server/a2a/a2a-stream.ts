/**
 * SSE for SendStreamingMessage and SubscribeToTask. Each event is a JSON-RPC response whose result is
 * a StreamResponse; its SSE `id:` is the task event's sequence number. A client that lost its stream
 * calls SubscribeToTask again with `Last-Event-ID: <last id seen>` and gets every event after it,
 * none twice, from the store (what A2A itself does not offer); without it the stream starts with the
 * task as it is now. The stream ends after the event that finishes the task, when the client goes,
 * or when the daemon stops.
 */
import type { JsonRpcId } from '../../protocol/a2a/a2a-wire.ts';
import { isTerminalTaskState } from '../../ports/a2a-tasks.ts';
import type { A2AFeed } from '../../node/a2a/a2a-feed.ts';
import { taskView } from '../../node/a2a/a2a-task-view.ts';
import type { MeshNode } from '../../node/mesh-node.ts';

export interface StreamOptions {
  taskId: string;
  rpcId: JsonRpcId;
  /** Replay from this event (exclusive); null: start with a snapshot of the task. */
  afterSeq: number | null;
  heartbeatMs: number;
  /** Aborted when the daemon stops. */
  stop: AbortSignal;
}

const encoder = new TextEncoder();

export function taskStream(node: MeshNode, feed: A2AFeed, o: StreamOptions): Response {
  let cancelled = false;
  let wakeUp: (() => void) | null = null;
  const wake = (): void => {
    wakeUp?.();
  };
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const unwatch = feed.watch(o.taskId, wake);
      const onStop = (): void => wake();
      o.stop.addEventListener('abort', onStop);
      const send = (id: number | null, result: unknown): void => {
        const line = JSON.stringify({ jsonrpc: '2.0', id: o.rpcId, result });
        controller.enqueue(encoder.encode(`${id === null ? '' : `id: ${id}\n`}data: ${line}\n\n`));
      };
      try {
        let cursor = o.afterSeq ?? 0;
        if (o.afterSeq === null) {
          const t = node.store.a2aTasks.get(o.taskId);
          const events = node.store.a2aTasks.events(o.taskId, 0, 100_000);
          cursor = events.at(-1)?.seq ?? 0;
          if (t === null) return;
          send(cursor, { task: taskView(t) });
          if (isTerminalTaskState(t.state)) return;
        }
        for (;;) {
          if (cancelled || o.stop.aborted) return;
          const waited = new Promise<void>((resolve) => {
            wakeUp = resolve;
            setTimeout(resolve, o.heartbeatMs).unref();
          });
          const events = node.store.a2aTasks.events(o.taskId, cursor, 500);
          for (const e of events) {
            send(e.seq, e.data);
            cursor = e.seq;
          }
          const t = node.store.a2aTasks.get(o.taskId);
          if (t === null || (isTerminalTaskState(t.state) && node.store.a2aTasks.events(o.taskId, cursor, 1).length === 0)) return;
          if (events.length === 500) continue;
          await waited;
          wakeUp = null;
          if (!cancelled) controller.enqueue(encoder.encode(': keep-alive\n\n'));
        }
      } catch (e) {
        node.logger.warn('a2a: stream failed', { task: o.taskId, error: (e as Error).name });
      } finally {
        unwatch();
        o.stop.removeEventListener('abort', onStop);
        if (!cancelled) controller.close();
      }
    },
    cancel() {
      cancelled = true;
      wake();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' },
  });
}

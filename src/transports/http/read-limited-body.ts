/**
 * Reads a request body up to `maxBytes` without buffering more: reading stops as soon as the limit
 * is passed, whether or not the client declared a Content-Length. Two sources: the Node request
 * (fast path under @hono/node-server) and a web ReadableStream (app.request() and other runtimes).
 */
import type { Readable } from 'node:stream';

export type BodyRead =
  | { ok: true; text: string }
  | { ok: false; reason: 'too_large' | 'invalid_utf8' | 'aborted' };

function decode(chunks: readonly Uint8Array[], total: number): BodyRead {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, total)) };
  } catch {
    return { ok: false, reason: 'invalid_utf8' };
  }
}

export async function readLimitedStream(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<BodyRead> {
  if (body === null) return { ok: true, text: '' };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch {
      return { ok: false, reason: 'aborted' };
    }
    if (step.done) break;
    total += step.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, reason: 'too_large' };
    }
    chunks.push(step.value);
  }
  return decode(chunks, total);
}

/**
 * Leaves the rest of an oversize body unread; the server adapter discards or destroys the
 * connection after the response, so nothing past the limit is held in memory.
 */
export function readLimitedIncoming(incoming: Readable, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (r: BodyRead): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onAbort);
      incoming.off('close', onAbort);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        incoming.pause();
        done({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => done(decode(chunks, total));
    const onAbort = (): void => done({ ok: false, reason: 'aborted' });
    if (incoming.readableEnded) {
      resolve({ ok: true, text: '' });
      return;
    }
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onAbort);
    incoming.on('close', onAbort);
  });
}

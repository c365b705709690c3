/**
 * Reads a request body up to `maxBytes` without buffering more: the stream is cancelled as soon as
 * the limit is passed, whether or not the client declared a Content-Length.
 */
export type BodyRead =
  | { ok: true; text: string }
  | { ok: false; reason: 'too_large' | 'invalid_utf8' };

export async function readLimitedBody(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<BodyRead> {
  if (body === null) return { ok: true, text: '' };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, reason: 'too_large' };
    }
    chunks.push(value);
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, total)) };
  } catch {
    return { ok: false, reason: 'invalid_utf8' };
  }
}

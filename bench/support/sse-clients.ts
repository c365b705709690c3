/**
 * A pool of Server-Sent-Event clients for benchmarks: raw node:http GETs that parse `data:` lines
 * (JSON with `seq` and `ts`, epoch ms at emit) and record, per event, the delay from `ts` to its
 * arrival here. Also checks that every client saw every sequence number once, in order.
 */
import http from 'node:http';

export interface SseSample {
  seq: number;
  delayMs: number;
}

export interface SseClient {
  samples: SseSample[];
  connected: Promise<void>;
  close(): void;
}

function openClient(url: string, headers: Record<string, string>, accept: (data: { seq?: unknown; ts?: unknown }) => boolean): SseClient {
  const samples: SseSample[] = [];
  let req: http.ClientRequest | null = null;
  const connected = new Promise<void>((resolve, reject) => {
    req = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`event stream answered ${String(res.statusCode)}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      let first = true;
      res.on('data', (chunk: string) => {
        const now = Date.now();
        if (first) {
          first = false;
          resolve();
        }
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n')) {
            if (!line.startsWith('data: ')) continue;
            const d = JSON.parse(line.slice(6)) as { seq?: unknown; ts?: unknown };
            if (typeof d.seq === 'number' && typeof d.ts === 'number' && accept(d)) samples.push({ seq: d.seq, delayMs: now - d.ts });
          }
        }
      });
    });
    (req as http.ClientRequest).on('error', reject);
  });
  return { samples, connected, close: () => req?.destroy() };
}

export function openClients(n: number, url: string, headers: Record<string, string> = {}, accept: (data: { seq?: unknown; ts?: unknown }) => boolean = () => true): SseClient[] {
  return Array.from({ length: n }, () => openClient(url, headers, accept));
}

/** Every client has `count` samples with consecutive sequence numbers from `firstSeq`. */
export function complete(clients: readonly SseClient[], firstSeq: number, count: number): boolean {
  return clients.every((c) => c.samples.length === count && c.samples.every((s, i) => s.seq === firstSeq + i));
}

export async function waitForAll(clients: readonly SseClient[], count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (clients.some((c) => c.samples.length < count)) {
    if (Date.now() > deadline) {
      throw new Error(`event stream: only ${Math.min(...clients.map((c) => c.samples.length))} of ${count} events reached every client in ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

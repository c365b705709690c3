/**
 * Sends hook POSTs that start in the same turn of the event loop, to the same hook of a peer that
 * advertises `batch/1`, as one `POST …/batch` (protocol/hook-batch.ts), and hands every caller the
 * result its own POST would have had. It wraps the HTTP transport; callers stay unaware of it.
 *
 * - Only requests that carry `batchBase` are candidates (the delivery service sets it for direct
 *   hook POSTs); a request alone in its turn, or larger than BATCH_ITEM_MAX_BYTES, goes on its own,
 *   exactly as before. So a one-off `mesh send` never changes, and never probes.
 * - What a peer supports is learnt from its GET /health, asked the first time two or more requests
 *   for it meet in one turn (they go one by one meanwhile) and again every few minutes: a peer that
 *   does not advertise `batch/1` (a bash node, an OpenClaw gateway) keeps getting one envelope per
 *   POST. The health answer is unauthenticated; it only decides the framing, never what is accepted.
 * - A batch the peer does not take (400, 404, 405, 413, 415: an older or differently configured
 *   node) is sent again one by one, and the peer is not sent batches until it is asked again.
 * - Any other answer to the batch itself (401, 429, 5xx, no answer) is every item's answer: none of
 *   them was stored, so each is retried or dead-lettered as its single POST would have been. A 2xx
 *   whose body does not list one result per item (a 202 or 204 with no results included) leaves every
 *   item unanswered (`batch_answer_invalid`, transient), never delivered: the retry is answered as a
 *   duplicate for whatever was stored.
 */
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { OutboundRequest, Transport, TransportResult } from '../../ports/transport.ts';
import {
  BATCH_FRAME_BYTES, BATCH_ITEM_MAX_BYTES, BATCH_MAX_BYTES, BATCH_MAX_ITEMS, BATCH_PATH_SUFFIX, FEATURE_BATCH,
  encodeBatch, parseBatchAnswer,
} from '../../protocol/hook-batch.ts';
import { parseHealthAnswer } from '../../protocol/node-features.ts';
import { bodySnippet } from './body-snippet.ts';

export interface HookBatcherOptions {
  clock?: Clock;
  /** Runs the flush at the end of the current turn (setImmediate; injectable for tests). */
  defer?: (fn: () => void) => void;
  probeTimeoutMs?: number;
  /** How long a peer's answer (batches or not) is trusted before it is asked again. */
  supportTtlMs?: number;
  /** After a probe that got no answer, how long to send one by one before asking again. */
  unknownRetryMs?: number;
}

/** Answers to a batch POST that mean "this peer does not take batches (like this)". */
const NOT_TAKEN = new Set([400, 404, 405, 413, 415]);
/** Room for 64 item results (each a few hundred bytes). */
const ANSWER_KEEP_BYTES = 64 * 1024;

interface Waiting {
  req: OutboundRequest;
  bytes: number;
  resolve: (r: TransportResult) => void;
}

interface Group {
  base: string;
  waiting: Waiting[];
}

interface Support {
  batches: boolean | 'probing';
  until: number;
}

export interface HookBatcher extends Transport {
  /** True when this peer (its base URL) said it takes batches, the last time it was asked. Never probes. */
  batches(baseUrl: string): boolean;
}

export function createHookBatcher(inner: Transport, o: HookBatcherOptions = {}): HookBatcher {
  const clock = o.clock ?? systemClock;
  const defer = o.defer ?? ((fn: () => void) => void setImmediate(fn));
  const probeTimeoutMs = o.probeTimeoutMs ?? 5_000;
  const supportTtlMs = o.supportTtlMs ?? 5 * 60_000;
  const unknownRetryMs = o.unknownRetryMs ?? 2_000;
  const support = new Map<string, Support>();
  let groups = new Map<string, Group>();
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const now = groups;
    groups = new Map();
    for (const g of now.values()) sendGroup(g);
  }

  function sendGroup(g: Group): void {
    const batchable = g.waiting.filter((w) => w.bytes <= BATCH_ITEM_MAX_BYTES);
    const alone = g.waiting.filter((w) => w.bytes > BATCH_ITEM_MAX_BYTES);
    if (batchable.length >= 2 && takesBatches(g.base)) {
      for (const chunk of chunks(batchable)) void sendChunk(chunk);
    } else alone.push(...batchable);
    for (const w of alone) void inner.send(w.req).then(w.resolve);
  }

  /** True when the peer said it takes batches; otherwise asks it (once at a time) for next time. */
  function takesBatches(base: string): boolean {
    const known = support.get(base);
    const now = clock.now();
    if (known !== undefined && (known.batches === 'probing' || known.until > now)) return known.batches === true;
    support.set(base, { batches: 'probing', until: now + probeTimeoutMs });
    void inner.probe(base, probeTimeoutMs).then((r) => {
      const at = clock.now();
      if (r.status === null || r.status < 200 || r.status > 299) support.set(base, { batches: false, until: at + unknownRetryMs });
      else support.set(base, { batches: parseHealthAnswer(r.bodySnippet).features.includes(FEATURE_BATCH), until: at + supportTtlMs });
    }, () => support.set(base, { batches: false, until: clock.now() + unknownRetryMs }));
    return false;
  }

  function chunks(all: Waiting[]): Waiting[][] {
    const out: Waiting[][] = [];
    let cur: Waiting[] = [];
    let size = BATCH_FRAME_BYTES;
    for (const w of all) {
      const add = w.bytes + 1;
      if (cur.length === BATCH_MAX_ITEMS || (cur.length > 0 && size + add > BATCH_MAX_BYTES)) {
        out.push(cur);
        cur = [];
        size = BATCH_FRAME_BYTES;
      }
      cur.push(w);
      size += add;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  async function sendChunk(chunk: Waiting[]): Promise<void> {
    const first = chunk[0] as Waiting;
    if (chunk.length === 1) {
      first.resolve(await inner.send(first.req));
      return;
    }
    const base = first.req.batchBase as string;
    const connect = chunk.map((w) => w.req.connectTimeoutMs).filter((t): t is number => t !== undefined);
    const result = await inner.send({
      url: `${first.req.url}${BATCH_PATH_SUFFIX}`,
      token: first.req.token,
      body: encodeBatch(chunk.map((w) => w.req.body)),
      headers: {},
      timeoutMs: Math.max(...chunk.map((w) => w.req.timeoutMs)),
      ...(connect.length === 0 ? {} : { connectTimeoutMs: Math.max(...connect) }),
      keepBodyBytes: ANSWER_KEEP_BYTES,
    });
    if (result.status !== null && NOT_TAKEN.has(result.status)) {
      support.set(base, { batches: false, until: clock.now() + supportTtlMs });
      await Promise.all(chunk.map(async (w) => w.resolve(await inner.send(w.req))));
      return;
    }
    if (result.status === null || result.status < 200 || result.status > 299) {
      for (const w of chunk) w.resolve({ ...result, bodySnippet: bodySnippet(result.bodySnippet, w.req.token) });
      return;
    }
    // A 2xx is no delivery of any item by itself: only a result for each item says what became of it.
    const answers = parseBatchAnswer(result.bodySnippet, chunk.length);
    for (const [i, w] of chunk.entries()) {
      const a = answers?.[i];
      w.resolve(a === undefined
        ? { status: null, networkError: 'batch_answer_invalid', retryAfterMs: null, bodySnippet: '', elapsedMs: result.elapsedMs }
        : {
          status: a.status,
          networkError: null,
          retryAfterMs: a.retryAfterMs ?? null,
          bodySnippet: bodySnippet(JSON.stringify(a.body) ?? '', w.req.token),
          elapsedMs: result.elapsedMs,
        });
    }
  }

  return {
    send(req: OutboundRequest): Promise<TransportResult> {
      if (req.batchBase === undefined) return inner.send(req);
      // The item's size inside the batch body: its JSON string form.
      const bytes = Buffer.byteLength(JSON.stringify(req.body), 'utf8');
      return new Promise<TransportResult>((resolve) => {
        const key = `${req.url}\n${req.token ?? ''}`;
        let g = groups.get(key);
        if (g === undefined) {
          g = { base: req.batchBase as string, waiting: [] };
          groups.set(key, g);
        }
        g.waiting.push({ req, bytes, resolve });
        if (!scheduled) {
          scheduled = true;
          defer(flush);
        }
      });
    },
    probe: (baseUrl, timeoutMs) => inner.probe(baseUrl, timeoutMs),
    batches(baseUrl) {
      const known = support.get(baseUrl);
      return known !== undefined && known.batches === true && known.until > clock.now();
    },
    close: () => inner.close?.() ?? Promise.resolve(),
  };
}

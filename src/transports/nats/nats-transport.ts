/**
 * The outbound NATS transport (ports/transport.ts): one attempt = publish the hook body to the peer's
 * inbox subject with `Nats-Msg-Id` = the envelope id, then wait for the peer's signed receipt
 * (receipt.ts). The attempt succeeds only on the receipt, never on JetStream's PubAck alone:
 *
 *   publish → PubAck (the server stored it) → receipt (the receiver's node stored it) → 2xx result
 *
 *   - no receipt within the receipt timeout: `no_receipt` (transient). The message may be safe in
 *     the stream (the receiver is down) or lost with a server's write; the outbox keeps it and
 *     retries on its schedule either way.
 *   - a retry within JetStream's duplicate window is dropped by the server (PubAck `duplicate`): the
 *     copy already in the stream is still due, and a receipt it earned may already be stored, so the
 *     attempt looks the receipt up in the receipts stream before waiting. After the window a retry is
 *     a new copy; the receiver answers it as a duplicate and receipts it again.
 *   - the server cannot be reached, refuses, or times out: a network error code (transient).
 * A receipt is accepted only from the peer the message was sent to, for that id, signed as that peer
 * signs (receipt.ts). Receipts arrive on one subscription per connection (`…<self>.receipt.*`); a
 * receipt nobody waits for is ignored (the stored copy serves a later attempt).
 * Never throws; secrets never appear in results.
 */
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { OutboundRequest, Transport, TransportResult } from '../../ports/transport.ts';
import { MESSAGE_ID_RE } from '../../protocol/ids.ts';
import { natsTargetOf, type NatsNames } from './nats-address.ts';
import { natsErrorCode, type Connected, type NatsLink } from './nats-link.ts';
import { ensureStreams, type NatsStreamOptions } from './nats-streams.ts';
import type { Receipt, ReceiptCodec } from './receipt.ts';

export interface NatsTransportOptions {
  link: NatsLink;
  names: NatsNames;
  self: string;
  receipts: ReceiptCodec;
  streams: NatsStreamOptions;
  clock: Clock;
  logger: Logger;
  /** Longest an attempt waits for the receipt once the server accepted the message (ms). */
  receiptTimeoutMs: () => number;
}

export const HEALTH_SNIPPET_MAX_CHARS = 2048;

interface Waiter {
  peer: string;
  resolve(r: Receipt): void;
}

/** Resolves with `p`'s value, or rejects with a TimeoutError-named error after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error('timed out');
      e.name = 'TimeoutError';
      reject(e);
    }, Math.max(1, ms));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function headerOf(headers: Readonly<Record<string, string>> | undefined, name: string): string | null {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return v;
  return null;
}

/** The server has no stream for the subject (nobody created the fleet's streams yet). */
function noStream(e: unknown): boolean {
  return e instanceof Error && (e.name === 'JetStreamNotEnabled' || /not enabled|no responders/i.test(e.message));
}

export function createNatsTransport(o: NatsTransportOptions): Transport {
  const waiters = new Map<string, Waiter>();
  const subscribed = new WeakSet<object>();
  const decoder = new TextDecoder();
  let streamsChecked = false;

  function listen(c: Connected): void {
    if (subscribed.has(c.nc)) return;
    subscribed.add(c.nc);
    c.nc.subscribe(o.names.receiptsOf(o.self), {
      callback: (err, msg) => {
        if (err !== null) return;
        const id = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
        const w = waiters.get(id);
        if (w === undefined) return;
        const r = o.receipts.decode(decoder.decode(msg.data), w.peer, id);
        if (r === null) {
          o.logger.warn('nats: receipt refused (not signed by the peer, or not for this message)', { peer: w.peer, id });
          return;
        }
        w.resolve(r);
      },
    });
  }

  async function storedReceipt(c: Connected, peer: string, id: string): Promise<Receipt | null> {
    try {
      const m = await c.jsm.streams.getMessage(o.names.receiptStream, { last_by_subj: o.names.receipt(o.self, id) });
      return m === null ? null : o.receipts.decode(decoder.decode(m.data), peer, id);
    } catch {
      return null;
    }
  }

  async function publish(c: Connected, subject: string, body: string, id: string, timeoutMs: number): Promise<{ duplicate: boolean }> {
    try {
      return await c.js.publish(subject, body, { msgID: id, timeout: timeoutMs });
    } catch (e) {
      if (streamsChecked || !noStream(e)) throw e;
      // First use of a fleet nobody set up yet: create its streams, then publish once more.
      streamsChecked = true;
      await ensureStreams(c, o.names, o.streams, o.logger);
      return c.js.publish(subject, body, { msgID: id, timeout: timeoutMs });
    }
  }

  async function send(req: OutboundRequest): Promise<TransportResult> {
    const started = o.clock.now();
    const deadline = started + req.timeoutMs;
    const left = (): number => deadline - o.clock.now();
    const result = (r: Omit<TransportResult, 'elapsedMs'>): TransportResult => ({ ...r, elapsedMs: Math.max(0, o.clock.now() - started) });
    const failure = (code: string): TransportResult => result({ status: null, networkError: code, retryAfterMs: null, bodySnippet: '' });
    const delivered = (r: Receipt): TransportResult =>
      result({ status: r.status, networkError: null, retryAfterMs: null, bodySnippet: JSON.stringify({ ok: true, id: r.id, duplicate: r.duplicate }) });

    const peer = natsTargetOf(req.url);
    const id = headerOf(req.headers, 'idempotency-key');
    if (peer === null || id === null || !MESSAGE_ID_RE.test(id)) return failure('invalid_request');
    let c: Connected;
    try {
      c = await within(o.link.connection(), Math.min(req.connectTimeoutMs ?? req.timeoutMs, req.timeoutMs));
    } catch (e) {
      return failure(natsErrorCode(e));
    }
    listen(c);
    if (waiters.has(id)) return failure('busy'); // another attempt of this message is waiting in this process
    let resolve!: (r: Receipt | null) => void;
    const arrived = new Promise<Receipt | null>((ok) => (resolve = ok));
    waiters.set(id, { peer, resolve });
    try {
      let ack: { duplicate: boolean };
      try {
        ack = await publish(c, o.names.inbox(peer), req.body, id, Math.max(1, left()));
      } catch (e) {
        return failure(natsErrorCode(e));
      }
      if (ack.duplicate) {
        const stored = await storedReceipt(c, peer, id);
        if (stored !== null) return delivered(stored);
      }
      const waitMs = Math.min(left(), o.receiptTimeoutMs());
      const r = await within(arrived, waitMs).catch(() => null);
      if (r !== null) return delivered(r);
      // A receipt published while our connection was reconnecting is in the stream, not in our subscription.
      const stored = await storedReceipt(c, peer, id);
      return stored !== null ? delivered(stored) : failure('no_receipt');
    } finally {
      waiters.delete(id);
    }
  }

  async function probe(baseUrl: string, timeoutMs: number): Promise<TransportResult> {
    const started = o.clock.now();
    const result = (r: Omit<TransportResult, 'elapsedMs'>): TransportResult => ({ ...r, elapsedMs: Math.max(0, o.clock.now() - started) });
    const peer = natsTargetOf(baseUrl);
    if (peer === null) return result({ status: null, networkError: 'invalid_request', retryAfterMs: null, bodySnippet: '' });
    try {
      const c = await within(o.link.connection(), timeoutMs);
      const m = await c.nc.request(o.names.health(peer), '', { timeout: Math.max(1, timeoutMs - (o.clock.now() - started)) });
      return result({ status: 200, networkError: null, retryAfterMs: null, bodySnippet: decoder.decode(m.data).slice(0, HEALTH_SNIPPET_MAX_CHARS) });
    } catch (e) {
      const code = e instanceof Error && /no responders/i.test(`${e.message} ${String((e as { cause?: unknown }).cause ?? '')}`) ? 'no_responders' : natsErrorCode(e);
      return result({ status: null, networkError: code, retryAfterMs: null, bodySnippet: '' });
    }
  }

  return {
    send: (req) => send(req).catch((e: unknown) => {
      o.logger.warn('nats: send failed unexpectedly', { error: e instanceof Error ? e.name : 'unknown' });
      return { status: null, networkError: 'transport_error', retryAfterMs: null, bodySnippet: '', elapsedMs: 0 };
    }),
    probe,
    close: () => o.link.close(),
  };
}

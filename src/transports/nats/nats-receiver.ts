/**
 * The daemon's NATS intake: this node's durable pull consumer on `mesh.<fleet>.<self>.inbox` feeds
 * the same inbound pipeline as `POST /hooks/<sender>` (injected as `handle`, declared structurally:
 * adapters do not import services), and answers the node's health requests on `…<self>.health`.
 *
 * What happens to each message, by the pipeline's answer:
 *   2xx (stored, or already stored)  receipt published to the sender (receipt.ts), THEN acked. If the
 *                                    receipt cannot be published the message is nak'd: redelivered,
 *                                    answered as a duplicate, receipted then.
 *   429 (sender over its budget)     nak'd with the Retry-After as delay: stored later, in order of
 *                                    redelivery.
 *   5xx (disk full, database busy)   nak'd with a growing delay (redelivered until it is stored).
 *   other 4xx (not a valid signed    terminated (`term`): never redelivered. The pipeline audited it as
 *   envelope, forged, replayed, …)   `rejected_<code>`; a body over the size limit is terminated
 *                                    before parsing and audited through `refuseOversized`.
 * A message is acked only after the transaction that stored it committed (the pipeline's group
 * commit resolves after COMMIT). A crash before the ack means redelivery after `ackWaitMs`, which
 * the pipeline answers as a duplicate: stored exactly once.
 *
 * Order: the consumer delivers in stream order, so one sender's messages are handled in the order the
 * server stored them; a nak'd message comes back after the ones behind it.
 * The loop reconnects on its own (the link reconnects; `consume` re-pulls after a reconnect); if the
 * consumer cannot be set up it retries with a delay. stop() stops pulling, lets the messages in hand
 * finish (their acks are sent) and leaves the connection to the link's owner (drain).
 */
import type { Logger } from '../../ports/logger.ts';
import type { NatsNames } from './nats-address.ts';
import type { Connected, JsMsg as Msg, NatsLink } from './nats-link.ts';
import { natsErrorCode } from './nats-link.ts';
import { ensureConsumer, ensureStreams, type NatsStreamOptions } from './nats-streams.ts';
import type { ReceiptCodec } from './receipt.ts';

/** The part of the pipeline's answer this adapter needs. */
export interface NatsInboundResult {
  status: number;
  /** The authenticated sender (set for stored messages and duplicates), else null. */
  from: string | null;
  id: string | null;
  duplicate: boolean;
  retryAfterMs: number | null;
}

export interface NatsReceiverOptions {
  link: NatsLink;
  names: NatsNames;
  self: string;
  streams: NatsStreamOptions;
  receipts: ReceiptCodec;
  /** The inbound pipeline (group-committed): resolves after the message's transaction committed. */
  handle(bodyText: string): Promise<NatsInboundResult>;
  maxBodyBytes(): number;
  /** Audits a body over the size limit (it is terminated unread). */
  refuseOversized(bytes: number): void;
  /** The node's health answer (JSON text), as GET /health gives it. */
  health(): string;
  /** A message was stored for this node's agent (wake the hand-off worker). */
  onAccepted?(): void;
  logger: Logger;
  /** Messages in hand at once (pulled, not yet acked). */
  maxInFlight?: number;
}

export interface RunningNatsReceiver {
  stop(): Promise<void>;
}

export const DEFAULT_NATS_MAX_IN_FLIGHT = 256;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
const NAK_MIN_MS = 1_000;
const NAK_MAX_MS = 30_000;
const RECEIPT_PUBLISH_TIMEOUT_MS = 10_000;

export function startNatsReceiver(o: NatsReceiverOptions): RunningNatsReceiver {
  const maxInFlight = o.maxInFlight ?? DEFAULT_NATS_MAX_IN_FLIGHT;
  const decoder = new TextDecoder();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let onStop!: () => void;
  /** Resolves when stop() is called: waits on the connection give way to it. */
  const stopping = new Promise<null>((resolve) => (onStop = () => resolve(null)));
  let messages: { close(): Promise<void | Error> } | null = null;
  let wake: (() => void) | null = null;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(t);
      resolve();
    };
  });


  async function processOne(c: Connected, m: Msg): Promise<void> {
    const bytes = m.data.length;
    if (bytes > o.maxBodyBytes()) {
      o.refuseOversized(bytes);
      m.term();
      return;
    }
    const r = await o.handle(decoder.decode(m.data));
    if (r.status >= 200 && r.status < 300) {
      if (r.from !== null && r.id !== null) {
        const receipt = o.receipts.encode({ id: r.id, to: r.from, status: r.status, duplicate: r.duplicate });
        if (receipt === null) {
          o.logger.warn('nats: cannot sign a receipt for this sender (key missing): it will retry', { peer: r.from, id: r.id });
        } else {
          try {
            await c.js.publish(o.names.receipt(r.from, r.id), receipt, { timeout: RECEIPT_PUBLISH_TIMEOUT_MS });
          } catch (e) {
            o.logger.warn('nats: receipt not published, message will be redelivered', { id: r.id, error: natsErrorCode(e) });
            m.nak(NAK_MIN_MS);
            return;
          }
        }
      }
      m.ack();
      if (!r.duplicate) o.onAccepted?.();
      return;
    }
    if (r.status === 429) {
      m.nak(Math.max(NAK_MIN_MS, r.retryAfterMs ?? NAK_MIN_MS));
      return;
    }
    if (r.status >= 500) {
      const n = Math.max(1, m.info.deliveryCount);
      m.nak(Math.min(NAK_MAX_MS, NAK_MIN_MS * 2 ** Math.min(n - 1, 5)));
      return;
    }
    m.term();
  }

  function track(c: Connected, m: Msg): void {
    const p = processOne(c, m).catch((e: unknown) => {
      // Not acked: the server redelivers it after the ack wait.
      o.logger.error('nats: message handling failed', { error: e instanceof Error ? e.name : 'unknown' });
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  async function consumeOnce(): Promise<void> {
    const c = await Promise.race([o.link.connection(), stopping]);
    if (c === null || stopped) return;
    await ensureStreams(c, o.names, o.streams, o.logger);
    await ensureConsumer(c, o.names, o.self, o.streams);
    const consumer = await c.js.consumers.get(o.names.inboxStream, o.names.durable(o.self));
    if (stopped) return;
    const it = await consumer.consume({ max_messages: Math.min(maxInFlight, 256) });
    messages = it;
    o.logger.info('nats: receiving', { subject: o.names.inbox(o.self), consumer: o.names.durable(o.self) });
    for await (const m of it) {
      track(c, m);
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
  }

  async function run(): Promise<void> {
    let wait = RETRY_MIN_MS;
    while (!stopped) {
      try {
        await consumeOnce();
        wait = RETRY_MIN_MS;
      } catch (e) {
        if (stopped) break;
        o.logger.error('nats: receiver not running, retrying', { error: e instanceof Error && e.name === 'NatsSetupError' ? e.message : natsErrorCode(e), retryInMs: wait });
      }
      if (stopped) break;
      await sleep(wait);
      wait = Math.min(wait * 2, RETRY_MAX_MS);
    }
  }

  // Health answers: the same JSON as GET /health, so probes and `mesh status` treat both alike.
  let healthSub: { unsubscribe(): void } | null = null;
  void o.link.connection().then((c) => {
    if (stopped) return;
    healthSub = c.nc.subscribe(o.names.health(o.self), {
      callback: (err, msg) => {
        if (err === null) msg.respond(o.health());
      },
    });
  }, () => undefined);

  const loop = run();
  return {
    async stop() {
      stopped = true;
      onStop();
      wake?.();
      await messages?.close().catch(() => undefined);
      await loop;
      await Promise.allSettled([...inFlight]);
      healthSub?.unsubscribe();
    },
  };
}

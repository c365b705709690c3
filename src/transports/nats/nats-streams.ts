/**
 * The JetStream resources of a fleet, created or checked when a node first uses them:
 *  - MESH_<fleet>_INBOX: every agent's inbox subject; file storage; work-queue retention (a message
 *    is removed once its receiver acked it); messages older than `maxAgeMs` are dropped (the sender's
 *    outbox still holds them until a receipt, so nothing is lost: it publishes again).
 *  - MESH_<fleet>_RECEIPTS: receipts, one per message subject, kept `receiptMaxAgeMs`.
 *  - mesh-<agent>: this node's durable pull consumer on its inbox subject, explicit acks.
 * A stream that exists is used as it is (another node created it, or an operator tuned it); only a
 * stream that cannot hold our subjects or is not on file storage is refused, loudly.
 */
import type { Logger } from '../../ports/logger.ts';
import type { Connected } from './nats-link.ts';
import type { NatsNames } from './nats-address.ts';

export interface NatsStreamOptions {
  replicas: number;
  maxAgeMs: number;
  receiptMaxAgeMs: number;
  /** How long the server waits for our ack before it redelivers a message. */
  ackWaitMs: number;
}

const NS_PER_MS = 1_000_000;
/** JetStream's de-duplication window for Nats-Msg-Id (its default). */
export const DUPLICATE_WINDOW_MS = 120_000;

export class NatsSetupError extends Error {
  override readonly name = 'NatsSetupError';
}

function isNotFound(e: unknown): boolean {
  return e instanceof Error && (e.name === 'StreamNotFoundError' || e.name === 'ConsumerNotFoundError' || /not found/i.test(e.message));
}

async function ensureStream(c: Connected, name: string, subject: string, config: Record<string, unknown>, logger: Logger): Promise<void> {
  const { jsm, libs } = c;
  try {
    const info = await jsm.streams.info(name);
    if (!info.config.subjects.includes(subject)) {
      throw new NatsSetupError(`stream ${name} exists but does not store ${subject}`);
    }
    if (info.config.storage !== libs.js.StorageType.File) {
      throw new NatsSetupError(`stream ${name} exists with ${String(info.config.storage)} storage; MESH needs file storage`);
    }
    return;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    await jsm.streams.add({ name, subjects: [subject], storage: libs.js.StorageType.File, ...config });
    logger.info('nats: stream created', { stream: name });
  } catch (e) {
    // Another node created it at the same moment: fine if it now exists.
    await jsm.streams.info(name).catch(() => {
      throw e;
    });
  }
}

export async function ensureStreams(c: Connected, names: NatsNames, o: NatsStreamOptions, logger: Logger): Promise<void> {
  const { RetentionPolicy, DiscardPolicy } = c.libs.js;
  await ensureStream(c, names.inboxStream, names.inboxSubjects, {
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.Old,
    max_age: o.maxAgeMs * NS_PER_MS,
    num_replicas: o.replicas,
    duplicate_window: DUPLICATE_WINDOW_MS * NS_PER_MS,
  }, logger);
  await ensureStream(c, names.receiptStream, names.receiptSubjects, {
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: o.receiptMaxAgeMs * NS_PER_MS,
    max_msgs_per_subject: 1,
    num_replicas: o.replicas,
    duplicate_window: Math.min(DUPLICATE_WINDOW_MS, o.receiptMaxAgeMs) * NS_PER_MS,
  }, logger);
}

/** This node's durable consumer, created or brought to our settings (filter, explicit acks, ack wait). */
export async function ensureConsumer(c: Connected, names: NatsNames, agent: string, o: NatsStreamOptions): Promise<void> {
  const { AckPolicy, DeliverPolicy } = c.libs.js;
  const durable = names.durable(agent);
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.inbox(agent),
    ack_wait: o.ackWaitMs * NS_PER_MS,
    // Redelivered until it is stored: failures that could ever succeed are nak'd, hostile input is terminated.
    max_deliver: -1,
    max_ack_pending: 10_000,
  };
  try {
    const info = await c.jsm.consumers.info(names.inboxStream, durable);
    if (info.config.ack_wait !== config.ack_wait || info.config.filter_subject !== config.filter_subject) {
      await c.jsm.consumers.update(names.inboxStream, durable, { ack_wait: config.ack_wait, filter_subject: config.filter_subject });
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await c.jsm.consumers.add(names.inboxStream, config);
  }
}
